//! The UI's words in English and French. Each user picks a language; the
//! login page follows the browser's Accept-Language. A test checks that every
//! key the templates use exists here.

use plateau_core::model::Language;
use plateau_core::Timestamp;

/// (key, English, French)
const CATALOG: &[(&str, &str, &str)] = &[
    ("offer.title", "New conversation for you:", "Nouvelle conversation pour vous :"),
    ("offer.accept", "Accept", "Accepter"),
    ("offer.reject", "Reject", "Refuser"),
    ("offer.seconds", "{n} s left", "encore {n} s"),
    ("offer.expired", "The offer has expired.", "L'offre a expiré."),
    ("offer.failed", "The offer could not be answered; it may have ended.", "Impossible de répondre à l'offre ; elle est peut-être terminée."),
    ("nav.trees", "Trees", "Arbres"),
    ("keys.trees", "Go to the diagnostic trees", "Aller aux arbres de diagnostic"),
    ("keys.tree_answer", "Pick that answer of the running diagnosis", "Choisir cette réponse du diagnostic en cours"),
    ("trees.media", "Media files", "Fichiers médias"),
    ("trees.media_hint", "Upload an image, a sound or a video (8 MiB at most), then use its key as a media's stored file key in a step.", "Déposez une image, un son ou une vidéo (8 Mio au plus), puis utilisez sa clé comme « clé du fichier stocké » d'un média dans une étape."),
    ("trees.media_file", "File", "Fichier"),
    ("trees.media_upload", "Upload", "Déposer"),
    ("trees.title", "Diagnostic trees", "Arbres de diagnostic"),
    ("trees.intro", "Guided diagnostics advisors walk step by step inside a conversation. Edit the draft, then publish: published versions never change, and each has its own analytics.", "Des diagnostics guidés que les conseillers suivent pas à pas dans une conversation. Modifiez le brouillon, puis publiez : une version publiée ne change plus et a ses propres statistiques."),
    ("trees.new_title", "Title of a new tree", "Titre d'un nouvel arbre"),
    ("trees.create", "Create a draft", "Créer un brouillon"),
    ("trees.import", "Import a mind map", "Importer une carte mentale"),
    ("trees.import_go", "Import as a draft", "Importer en brouillon"),
    ("trees.import_hint", "FreeMind/Freeplane .mm, OPML 2.0 or XMind, up to 8 MiB.", "FreeMind/Freeplane .mm, OPML 2.0 ou XMind, 8 Mio au plus."),
    ("trees.empty_author", "No tree yet. Create a draft or import a mind map to start.", "Aucun arbre pour l'instant. Créez un brouillon ou importez une carte mentale pour commencer."),
    ("trees.empty", "No tree is published yet. Your knowledge managers publish them here.", "Aucun arbre n'est encore publié. Vos responsables de la connaissance les publient ici."),
    ("trees.col_title", "Tree", "Arbre"),
    ("trees.reasons", "Suggested for reasons", "Proposé pour les motifs"),
    ("trees.products", "Suggested for products", "Proposé pour les produits"),
    ("trees.analytics", "Analytics", "Statistiques"),
    ("trees.published", "Published", "Publié"),
    ("trees.draft_only", "Draft, never published", "Brouillon jamais publié"),
    ("trees.not_published", "Not published: the draft has problems. Fix them in the editor, save, then publish again.", "Non publié : le brouillon a des problèmes. Corrigez-les dans l'éditeur, enregistrez, puis publiez à nouveau."),
    ("trees.publish", "Publish the saved draft", "Publier le brouillon enregistré"),
    ("trees.publish_hint", "Save your edits first: publishing freezes the last saved draft as a new version.", "Enregistrez d'abord : la publication fige le dernier brouillon enregistré en une nouvelle version."),
    ("trees.save_meta", "Save", "Enregistrer"),
    ("trees.meta_hint", "Comma-separated. A conversation with one of these reasons, or tagged with one of these products, gets the tree suggested.", "Séparés par des virgules. Une conversation avec l'un de ces motifs, ou étiquetée avec l'un de ces produits, se voit proposer l'arbre."),
    ("trees.export", "Export the draft", "Exporter le brouillon"),
    ("trees.versions", "Published versions", "Versions publiées"),
    ("trees.no_versions", "Nothing published yet.", "Rien de publié pour l'instant."),
    ("trees.diff_draft", "compare with the draft", "comparer au brouillon"),
    ("trees.diff", "Compare versions", "Comparer des versions"),
    ("trees.draft", "Draft", "Brouillon"),
    ("trees.whole_tree", "The tree", "L'arbre"),
    ("trees.added", "Steps added", "Étapes ajoutées"),
    ("trees.removed", "Steps removed", "Étapes supprimées"),
    ("trees.changed", "Changed step", "Étape modifiée"),
    ("trees.retargeted", "Links moved", "Liens déplacés"),
    ("trees.window", "Return window (days)", "Fenêtre de retour (jours)"),
    ("trees.csv", "Download CSV", "Télécharger en CSV"),
    ("trees.no_sessions", "No advisor has walked this version yet.", "Aucun conseiller n'a encore parcouru cette version."),
    ("trees.sessions", "Sessions", "Sessions"),
    ("trees.completion", "Completed", "Terminées"),
    ("trees.resolution", "Resolved", "Résolues"),
    ("trees.returns", "Unjustified returns", "Retours injustifiés"),
    ("trees.per_node", "Step by step", "Étape par étape"),
    ("trees.node", "Step", "Étape"),
    ("trees.visits", "Visits", "Passages"),
    ("trees.reached", "Sessions reaching it", "Sessions l'atteignant"),
    ("trees.dropped", "Left here", "Abandons ici"),
    ("trees.drop_rate", "Drop-off", "Taux d'abandon"),
    ("trees.median", "Median time", "Temps médian"),
    ("trees.paths", "Most common paths", "Chemins les plus fréquents"),
    ("trees.path", "Path", "Chemin"),
    ("trees.outcomes", "Outcomes", "Issues"),
    ("trees.dropoff", "Where sessions stop", "Où les sessions s'arrêtent"),
    ("trees.abandoned", "Abandoned", "Abandonnées"),
    ("trees.went_on", "Went on", "Poursuivies"),
    ("trees.published_now", "Published as", "Publié en"),
    ("trees.meta_saved", "Saved.", "Enregistré."),
    ("trees.started", "Diagnostic started:", "Diagnostic commencé :"),
    ("trees.finished", "Diagnostic", "Diagnostic"),
    ("trees.handoff", "Handed to", "Transmis à"),
    ("trees.timeline", "Diagnostic tree", "Arbre de diagnostic"),
    ("trees.panel", "Guided diagnosis", "Diagnostic guidé"),
    ("trees.submit", "Record and continue", "Enregistrer et continuer"),
    ("trees.article", "Open the article", "Ouvrir l'article"),
    ("trees.continue", "Continue", "Continuer"),
    ("trees.back", "Back", "Retour"),
    ("trees.restart", "Restart", "Recommencer"),
    ("trees.stop_as", "End the diagnosis as", "Terminer le diagnostic comme"),
    ("trees.stop", "End here", "Terminer ici"),
    ("trees.none_published", "No diagnostic tree is published for this brand yet.", "Aucun arbre de diagnostic n'est encore publié pour cette marque."),
    ("trees.suggested", "Suggested for this conversation", "Proposés pour cette conversation"),
    ("trees.matched.reason", "same reason", "même motif"),
    ("trees.matched.product", "same product", "même produit"),
    ("trees.other", "Another tree", "Un autre arbre"),
    ("trees.start", "Start", "Commencer"),
    ("outcome.resolved", "Resolved", "Résolu"),
    ("outcome.escalated", "Escalated", "Escaladé"),
    ("outcome.unresolved", "Unresolved", "Non résolu"),
    ("app.tagline", "Contact-centre desk", "Le poste des conseillers"),
    ("nav.inbox", "Inbox", "Boîte de réception"),
    ("nav.board", "Board", "Tableau de bord"),
    ("nav.new", "New conversation", "Nouvelle conversation"),
    ("nav.settings", "Settings", "Réglages"),
    ("nav.api", "API", "API"),
    ("nav.logout", "Log out", "Se déconnecter"),
    ("nav.tenant", "Brand", "Marque"),
    ("nav.shortcuts", "Keyboard shortcuts: press ?", "Raccourcis clavier : touche ?"),
    ("login.title", "Log in to Plateau", "Connexion à Plateau"),
    ("login.email", "E-mail", "E-mail"),
    ("login.password", "Password", "Mot de passe"),
    ("login.submit", "Log in", "Se connecter"),
    ("login.failed", "That e-mail and password do not match.", "Cet e-mail et ce mot de passe ne correspondent pas."),
    ("login.throttled", "Too many failed attempts. Wait a few minutes, then try again.", "Trop d'essais infructueux. Patientez quelques minutes avant de réessayer."),
    ("login.expired", "The form expired; please try again.", "Le formulaire a expiré ; veuillez réessayer."),
    ("view.mine", "Mine", "Les miennes"),
    ("view.team", "My team", "Mon équipe"),
    ("view.unassigned", "Unassigned", "Non attribuées"),
    ("view.all", "All", "Toutes"),
    ("filter.views", "Views", "Vues"),
    ("filter.status", "Status", "Statut"),
    ("filter.channel", "Channel", "Canal"),
    ("filter.any", "Any", "Tous"),
    ("filter.active", "Active", "En cours"),
    ("filter.apply", "Filter", "Filtrer"),
    ("inbox.title", "Inbox", "Boîte de réception"),
    ("inbox.empty", "Nothing here. When customers write, call or chat, their conversations appear in this list.", "Rien ici. Quand des clients écrivent, appellent ou tchattent, leurs conversations apparaissent dans cette liste."),
    ("inbox.empty_filtered", "No conversation matches these filters.", "Aucune conversation ne correspond à ces filtres."),
    ("inbox.older", "Older", "Plus anciennes"),
    ("inbox.newest", "Back to newest", "Revenir aux plus récentes"),
    ("inbox.clear_filter", "show everyone", "voir tout le monde"),
    ("inbox.live", "Live", "En direct"),
    ("col.number", "#", "N°"),
    ("col.customer", "Customer", "Client"),
    ("col.subject", "Subject", "Objet"),
    ("col.status", "Status", "Statut"),
    ("col.priority", "Priority", "Priorité"),
    ("col.assignee", "Assignee", "Attribuée à"),
    ("col.team", "Team", "Équipe"),
    ("col.updated", "Updated", "Mise à jour"),
    ("col.channel", "Channel", "Canal"),
    ("col.total", "Total", "Total"),
    ("col.name", "Name", "Nom"),
    ("col.role", "Role", "Rôle"),
    ("col.active", "Active", "En cours"),
    ("col.oldest", "Oldest activity", "Activité la plus ancienne"),
    ("col.created", "Created", "Créé"),
    ("col.last_used", "Last used", "Dernière utilisation"),
    ("nobody", "Nobody", "Personne"),
    ("no_team", "No team", "Sans équipe"),
    ("conv.timeline", "Timeline", "Fil de la conversation"),
    ("conv.reply", "Reply", "Répondre"),
    ("conv.note", "Internal note", "Note interne"),
    ("conv.note_hint", "Only advisors see notes.", "Seuls les conseillers voient les notes."),
    ("conv.send", "Send", "Envoyer"),
    ("conv.send_pending", "Send and set pending", "Envoyer et mettre en attente"),
    ("conv.send_resolved", "Send and resolve", "Envoyer et résoudre"),
    ("conv.add_note", "Add note", "Ajouter la note"),
    ("conv.via", "via", "par"),
    ("conv.properties", "Properties", "Propriétés"),
    ("conv.save", "Save", "Enregistrer"),
    ("conv.take", "Assign to me", "M'attribuer"),
    ("conv.tags", "Tags", "Étiquettes"),
    ("conv.tags_hint", "comma-separated", "séparées par des virgules"),
    ("conv.reason", "Contact reason", "Motif de contact"),
    ("conv.closed", "This conversation is closed. A new message from the customer starts a new conversation.", "Cette conversation est close. Un nouveau message du client ouvrira une nouvelle conversation."),
    ("conv.read_only", "Read-only access: you can follow conversations but not answer.", "Accès en lecture seule : vous suivez les conversations sans y répondre."),
    ("conv.customer_said", "Customer", "Client"),
    ("conv.changed", "changed", "a modifié"),
    ("conv.system", "Plateau", "Plateau"),
    ("conv.updated_live", "Updated just now", "Mis à jour à l'instant"),
    ("conv.body_placeholder", "Write to the customer…", "Écrire au client…"),
    ("conv.note_placeholder", "Note for colleagues…", "Note pour les collègues…"),
    ("customer.card", "Customer", "Fiche client"),
    ("customer.identities", "Contact details", "Coordonnées"),
    ("customer.profile", "Profile", "Profil"),
    ("customer.history", "History", "Historique"),
    ("customer.history_empty", "No other conversation.", "Aucune autre conversation."),
    ("customer.age_band", "Age", "Âge"),
    ("customer.tech_appetite", "Appetite for technology", "Appétence technologique"),
    ("customer.value_tier", "Value", "Valeur"),
    ("customer.contract_tier", "Contract", "Contrat"),
    ("customer.language", "Language", "Langue"),
    ("customer.preferred_channel", "Preferred channel", "Canal préféré"),
    ("customer.name", "Customer name", "Nom du client"),
    ("customer.email", "Customer e-mail", "E-mail du client"),
    ("customer.phone", "Customer phone (+33…)", "Téléphone du client (+33…)"),
    ("new.title", "New conversation", "Nouvelle conversation"),
    ("new.hint", "Log a call, a letter or a message that reached you outside Plateau. An existing customer is found by e-mail or phone.", "Consignez un appel, un courrier ou un message reçu hors de Plateau. Un client existant est retrouvé par son e-mail ou son téléphone."),
    ("new.subject", "Subject", "Objet"),
    ("new.body", "What the customer said", "Ce que le client a dit"),
    ("new.create", "Create", "Créer"),
    ("board.title", "Supervisor board", "Tableau de bord superviseur"),
    ("board.active", "Active conversations", "Conversations en cours"),
    ("board.unassigned", "Unassigned", "Non attribuées"),
    ("board.oldest_new", "Oldest untouched", "Plus ancienne non traitée"),
    ("board.by_team", "Backlog by team", "Stock par équipe"),
    ("board.by_channel", "Backlog by channel", "Stock par canal"),
    ("board.who", "Who is working on what", "Qui traite quoi"),
    ("board.none", "none", "aucune"),
    ("board.chart", "Active conversations by team and status", "Conversations en cours par équipe et par statut"),
    ("nav.staffing", "Staffing", "Effectifs"),
    ("presence.label", "My presence", "Ma présence"),
    ("presence.available", "Available", "Disponible"),
    ("presence.busy", "Busy", "Occupé·e"),
    ("presence.wrap_up", "Wrap-up", "Post-traitement"),
    ("presence.break", "Break", "Pause"),
    ("presence.training", "Training", "Formation"),
    ("presence.offline", "Offline", "Hors ligne"),
    ("presence.reason", "Reason", "Motif"),
    ("presence.set", "Set", "Changer"),
    ("presence.postpone", "Push back my break (+15 min)", "Reporter ma pause (+15 min)"),
    ("presence.postponed", "Break pushed back · +15 min more", "Pause reportée · +15 min de plus"),
    ("presence.postpone_hint", "During a peak: your supervisor sees that you pushed your break back", "En cas de pic : votre superviseur voit que vous avez reporté votre pause"),
    ("board.presence", "Presence", "Présence"),
    ("routing.title", "Queues and workflows", "Files et workflows"),
    ("routing.intro", "The first workflow whose filter matches a contact takes it; its steps relax the target over time while the contact keeps its place. Expressions are checked against the names below when you save.", "Le premier workflow dont le filtre correspond prend le contact ; ses étapes élargissent la cible avec le temps sans que le contact perde sa place. Les expressions sont vérifiées avec les noms ci-dessous à l'enregistrement."),
    ("routing.saved", "Saved: the new configuration is in force.", "Enregistré : la nouvelle configuration s'applique."),
    ("routing.problems", "Nothing was saved; fix these first", "Rien n'a été enregistré ; corrigez d'abord ceci"),
    ("routing.config", "Configuration (TOML)", "Configuration (TOML)"),
    ("routing.save", "Check and save", "Vérifier et enregistrer"),
    ("routing.names", "Names you can use", "Noms utilisables"),
    ("routing.example", "A workflow with two steps: experts first, then anyone with the skill after 30 seconds.", "Un workflow en deux étapes : les plus compétents d'abord, puis toute personne ayant la compétence après 30 secondes."),
    ("board.routing", "Queues and workflows", "Files et workflows"),
    ("sites.title", "Sites and opening hours", "Sites et horaires d'ouverture"),
    ("sites.none", "No site yet: add sites to follow the sun.", "Aucun site : ajoutez des sites pour suivre le soleil."),
    ("sites.site", "Site", "Site"),
    ("sites.now", "Now", "Maintenant"),
    ("sites.hours", "Hours (local time)", "Horaires (heure locale)"),
    ("sites.reopens", "Reopens", "Réouverture"),
    ("sites.open", "Open", "Ouvert"),
    ("sites.closed", "Closed", "Fermé"),
    ("sites.always", "Around the clock", "24 h/24"),
    ("board.profile", "routing profile", "profil de routage"),
    ("profile.title", "Routing profile", "Profil de routage"),
    ("profile.skills", "Skills and levels", "Compétences et niveaux"),
    ("profile.skills_hint", "One per line, \"skill: level\" with a level from 1 (beginner) to 5 (expert), for example \"fibre: 4\".", "Une par ligne, « compétence: niveau » avec un niveau de 1 (débutant) à 5 (expert), par exemple « fibre: 4 »."),
    ("profile.languages", "Languages", "Langues"),
    ("profile.tier", "Tier", "Niveau de support"),
    ("profile.capacity", "Contacts at once, per channel", "Contacts simultanés par canal"),
    ("profile.capacity_hint", "Leave a channel empty if this advisor does not work it. Typical: 1 call, 3 chats, 10 e-mails.", "Laissez vide un canal que ce conseiller ne traite pas. Habituel : 1 appel, 3 tchats, 10 e-mails."),
    ("profile.save", "Save profile", "Enregistrer le profil"),
    ("profile.saved", "Profile saved.", "Profil enregistré."),
    ("board.presence_since", "Since", "Depuis"),
    ("board.presence_reason", "Reason", "Motif"),
    ("board.postponed", "Breaks pushed back (24 h)", "Pauses reportées (24 h)"),
    ("board.presence_empty", "Nobody has declared a presence yet.", "Personne n'a encore indiqué sa présence."),
    ("search.title", "Search", "Recherche"),
    ("search.label", "Search articles, conversations and messages", "Rechercher dans les articles, conversations et messages"),
    ("search.placeholder", "Search… (/)", "Rechercher… (/)"),
    ("search.go", "Search", "Rechercher"),
    ("search.all", "All", "Tout"),
    ("search.kinds", "Result kinds", "Types de résultats"),
    ("search.kind.article", "Article", "Article"),
    ("search.kind.conversation", "Conversation", "Conversation"),
    ("search.kind.message", "Message", "Message"),
    ("search.kind.forum_answer", "Forum answer", "Réponse du forum"),
    ("search.results", "results", "résultats"),
    ("search.none", "No result for", "Aucun résultat pour"),
    ("search.none_hint", "Try fewer or other words; accents, plurals and small typos are already handled.", "Essayez moins de mots ou d'autres mots ; les accents, pluriels et petites fautes de frappe sont déjà pris en compte."),
    ("search.empty_query", "Type what the customer says: words, a name, an e-mail, a conversation number.", "Tapez ce que dit le client : des mots, un nom, un e-mail, un numéro de conversation."),
    ("search.truncated", "Your query was too long and was shortened to", "Votre recherche était trop longue et a été raccourcie à"),
    ("search.prev", "Previous", "Précédents"),
    ("search.next", "Next", "Suivants"),
    ("keys.search", "Search", "Rechercher"),
    ("kb.state.wip", "Work in progress", "En cours de rédaction"),
    ("kb.state.work_in_progress", "Work in progress", "En cours de rédaction"),
    ("kb.title", "Knowledge base", "Base de connaissances"),
    ("kb.new", "New article", "Nouvel article"),
    ("kb.edit", "Improve the article", "Améliorer l'article"),
    ("kb.flags", "Flagged articles", "Articles signalés"),
    ("kb.no_flags", "No open flag. Advisors flag articles that are outdated, wrong, unclear or duplicated; they appear here.", "Aucun signalement ouvert. Les conseillers signalent les articles obsolètes, faux, peu clairs ou en double ; ils apparaissent ici."),
    ("kb.search", "Search the knowledge base", "Rechercher dans la base"),
    ("kb.state_filter", "Confidence", "Confiance"),
    ("kb.any_state", "Any confidence", "Toute confiance"),
    ("kb.language", "Language", "Langue"),
    ("kb.any_language", "Any language", "Toute langue"),
    ("kb.any_audience", "Any audience", "Tout public"),
    ("kb.any_product", "Any product", "Tout produit"),
    ("kb.tag", "Tag", "Mot-clé"),
    ("kb.empty", "No article yet. Capture what you just solved: \"New article\", or \"Capture as article\" from a conversation.", "Aucun article. Capturez ce que vous venez de résoudre : « Nouvel article », ou « Capturer en article » depuis une conversation."),
    ("kb.reuse", "reused", "réutilisé"),
    ("kb.views", "viewed", "consulté"),
    ("kb.helpful_count", "helpful", "utile"),
    ("kb.products", "Products", "Produits"),
    ("kb.translations", "Translations", "Traductions"),
    ("kb.helpful", "This helped me", "Cela m'a aidé"),
    ("kb.fix", "Fix it", "Corriger"),
    ("kb.versions", "Versions", "Versions"),
    ("kb.flag_it", "Flag it", "Signaler"),
    ("kb.flag_reason", "Why", "Motif"),
    ("kb.flag_comment", "What is wrong", "Ce qui ne va pas"),
    ("kb.flag_send", "Send the flag", "Envoyer le signalement"),
    ("kb.flag.outdated", "Outdated", "Obsolète"),
    ("kb.flag.incorrect", "Incorrect", "Incorrect"),
    ("kb.flag.unclear", "Unclear", "Peu clair"),
    ("kb.flag.duplicate", "Duplicate", "Doublon"),
    ("kb.to.work_in_progress", "Back to work in progress", "Repasser en rédaction"),
    ("kb.to.not_validated", "Submit (not validated)", "Proposer (non validé)"),
    ("kb.to.validated", "Validate", "Valider"),
    ("kb.to.archived", "Archive", "Archiver"),
    ("kb.audience.internal", "Internal", "Interne"),
    ("kb.audience.partner", "Partners", "Partenaires"),
    ("kb.audience.public", "Public", "Public"),
    ("kb.audience_label", "Who may read it", "Qui peut le lire"),
    ("kb.field.title", "Title", "Titre"),
    ("kb.field.issue", "Issue", "Problème"),
    ("kb.field.environment", "Environment", "Environnement"),
    ("kb.field.resolution", "Resolution", "Résolution"),
    ("kb.field.cause", "Cause", "Cause"),
    ("kb.field.tags", "Tags (comma-separated)", "Mots-clés (séparés par des virgules)"),
    ("kb.field.product_ids", "Products", "Produits"),
    ("kb.field.language", "Language", "Langue"),
    ("kb.field.note", "Change note", "Note de modification"),
    ("kb.issue_hint", "in the customer's own words", "avec les mots du client"),
    ("kb.note", "Change note", "Note de modification"),
    ("kb.save", "Save", "Enregistrer"),
    ("kb.conflict", "Someone saved this article while you were editing. Your text is below: review the latest version, then save again.", "Quelqu'un a enregistré cet article pendant votre modification. Votre texte est ci-dessous : relisez la dernière version puis enregistrez à nouveau."),
    ("kb.notice.saved", "Saved.", "Enregistré."),
    ("kb.notice.thanks", "Thanks: your vote helps rank this article.", "Merci : votre vote aide à classer cet article."),
    ("kb.notice.flagged", "Flag sent to the knowledge managers.", "Signalement envoyé aux gestionnaires de la connaissance."),
    ("kb.notice.moved", "Confidence changed.", "Confiance modifiée."),
    ("kb.notice.conflict", "The article changed meanwhile; nothing was moved. Check the latest version.", "L'article a changé entre-temps ; rien n'a été modifié. Vérifiez la dernière version."),
    ("kb.from", "From", "De"),
    ("kb.to_v", "To", "À"),
    ("kb.when", "When", "Quand"),
    ("kb.author", "By", "Par"),
    ("kb.compare", "Compare", "Comparer"),
    ("kb.same", "These versions are identical.", "Ces versions sont identiques."),
    ("kb.article", "Article", "Article"),
    ("kb.fixed", "Fixed", "Corrigé"),
    ("kb.dismiss", "Dismiss", "Rejeter"),
    ("kb.panel", "Knowledge", "Connaissances"),
    ("kb.suggested", "Suggested", "Suggestions"),
    ("kb.linked", "Linked to this conversation", "Liés à cette conversation"),
    ("kb.no_suggestion", "No article matches yet.", "Aucun article ne correspond pour l'instant."),
    ("kb.link", "Link", "Lier"),
    ("kb.link_translation", "Translation: article number in the other language", "Traduction : numéro de l'article dans l'autre langue"),
    ("kb.unlink", "Unlink", "Délier"),
    ("kb.insert", "Insert into reply", "Insérer dans la réponse"),
    ("kb.capture", "Capture as article", "Capturer en article"),
    ("nav.kb", "Knowledge", "Connaissances"),
    ("kba.title", "Search analytics", "Analyse des recherches"),
    ("kba.days", "days", "jours"),
    ("kba.chart", "Conversations that reused an article", "Conversations ayant réutilisé un article"),
    ("kba.conversations", "Conversations", "Conversations"),
    ("kba.with_article", "with a linked article", "avec un article lié"),
    ("kba.without_article", "without", "sans"),
    ("kba.link_rate", "Link rate", "Taux de liaison"),
    ("kba.top", "Top searches", "Recherches les plus fréquentes"),
    ("kba.zero", "Searches with no result: write these", "Recherches sans résultat : à rédiger"),
    ("kba.no_outcome", "Searches after which nothing was opened or linked", "Recherches sans article ouvert ni lié"),
    ("kba.never_found", "Articles never found", "Articles jamais trouvés"),
    ("kba.synonyms", "Synonyms learned from advisors", "Synonymes appris des conseillers"),
    ("kba.query", "Search", "Recherche"),
    ("kba.links", "Links", "Liaisons"),
    ("kba.add_synonym", "Add as synonym", "Ajouter en synonyme"),
    ("kba.none", "Nothing in this period.", "Rien sur cette période."),
    ("kbs.title", "Synonyms", "Synonymes"),
    ("kbs.help", "One rule per line. \"connexion lente, ça rame, internet lent\" makes the words equivalent; \"rame => lent\" works one way. Lines starting with # are comments.", "Une règle par ligne. « connexion lente, ça rame, internet lent » rend les mots équivalents ; « rame => lent » va dans un seul sens. Les lignes commençant par # sont des commentaires."),
    ("kbf.title", "FAQ", "FAQ"),
    ("kbf.feed", "Published entries are served as JSON for voice menus and virtual agents:", "Les entrées publiées sont servies en JSON pour les serveurs vocaux et agents virtuels :"),
    ("kbf.empty", "No FAQ entry yet.", "Aucune entrée de FAQ."),
    ("kbf.question", "Question", "Question"),
    ("kbf.answer", "Answer", "Réponse"),
    ("kbf.published", "Published", "Publiée"),
    ("kbf.add", "Add an entry", "Ajouter une entrée"),
    ("kbf.delete", "Delete", "Supprimer"),
    ("kbp.title", "Products and offers", "Produits et offres"),
    ("kbp.empty", "No product yet: articles link to products so advisors find answers by product.", "Aucun produit : les articles se rattachent aux produits pour être retrouvés par produit."),
    ("kbp.code", "Code", "Code"),
    ("kbp.name", "Name", "Nom"),
    ("kbp.kind_label", "Kind", "Type"),
    ("kbp.kind.product", "Product", "Produit"),
    ("kbp.kind.offer", "Offer", "Offre"),
    ("kbp.attributes", "Attributes", "Attributs"),
    ("kbp.add", "Add a product", "Ajouter un produit"),
    ("help.title", "Help centre", "Centre d'aide"),
    ("help.ask", "How can we help?", "Comment pouvons-nous vous aider ?"),
    ("help.placeholder", "Describe your problem in your own words", "Décrivez votre problème avec vos mots"),
    ("help.contact", "Try other words, or contact us: an advisor will answer.", "Essayez d'autres mots, ou contactez-nous : un conseiller vous répondra."),
    ("help.faq", "Frequently asked questions", "Questions fréquentes"),
    ("help.back", "All help", "Toute l'aide"),
    ("help.ref", "Article", "Article"),
    ("keys.kb", "Knowledge base", "Base de connaissances"),
    ("kb.state.not_validated", "Not validated", "Non validé"),
    ("kb.state.validated", "Validated", "Validé"),
    ("kb.state.archived", "Archived", "Archivé"),
    ("col.site", "Site", "Site"),
    ("col.utc", "UTC", "UTC"),
    ("col.local", "Customers' time", "Heure clients"),
    ("staffing.title", "Staffing plan", "Planification des effectifs"),
    ("staffing.settings", "Plan settings", "Paramètres du plan"),
    ("staffing.date", "Day", "Jour"),
    ("staffing.interval", "Interval", "Intervalle"),
    ("staffing.shrinkage", "Shrinkage (%)", "Taux d'indisponibilité (%)"),
    ("staffing.weeks", "Weeks of history", "Semaines d'historique"),
    ("staffing.zone", "Time zone", "Fuseau horaire"),
    ("staffing.show", "Show plan", "Afficher le plan"),
    ("staffing.invalid", "Some settings were not valid, so the defaults were used:", "Certains paramètres n'étaient pas valides ; les valeurs par défaut ont été utilisées :"),
    ("staffing.basis", "Scheduled advisors = advisors rostered at each site × the site's opening hours (08:00–20:00 local time, every day), until shift schedules exist. Sites in other time zones cover each other's nights: the plan follows the sun.", "Conseillers planifiés = conseillers rattachés à chaque site × heures d'ouverture du site (08h00–20h00 heure locale, tous les jours), en attendant les plannings. Les sites d'autres fuseaux couvrent les nuits des autres : le plan suit le soleil."),
    ("staffing.unsited", "advisors have no site, directly or through their team, and are not counted as scheduled. Give them a site in the directory.", "conseillers n'ont pas de site, ni directement ni par leur équipe, et ne sont pas comptés comme planifiés. Rattachez-les à un site dans l'annuaire."),
    ("staffing.summary_contacts", "Forecast contacts", "Contacts prévus"),
    ("staffing.peak_need", "Peak advisors needed", "Besoin maximal en conseillers"),
    ("staffing.shortfall_count", "Intervals short of advisors", "Intervalles en sous-effectif"),
    ("staffing.mape", "Forecast error on the last week (MAPE)", "Erreur de prévision sur la dernière semaine (MAPE)"),
    ("staffing.no_mape", "The forecast error is measured once there are three weeks of history: the last week is held out and compared with the forecast.", "L'erreur de prévision est mesurée dès trois semaines d'historique : la dernière semaine est mise de côté et comparée à la prévision."),
    ("staffing.mape_by_channel", "Error by channel", "Erreur par canal"),
    ("staffing.chart", "Forecast contacts, advisors needed and advisors scheduled per interval", "Contacts prévus, conseillers nécessaires et conseillers planifiés par intervalle"),
    ("staffing.required_note", "Needed = advisors on contacts to meet each channel's target (phone 80% within 20 s and chat 80% within 60 s with Erlang C; e-mail 95% within 4 h, social media 95% within 1 h and letters within 24 h as workload), divided by (1 − shrinkage).", "Besoin = conseillers en production pour tenir l'objectif de chaque canal (téléphone 80 % en 20 s et tchat 80 % en 60 s par Erlang C ; e-mail 95 % en 4 h, réseaux sociaux 95 % en 1 h et courrier en 24 h en charge de travail), divisés par (1 − taux d'indisponibilité)."),
    ("staffing.no_history", "No conversation in the history window, so there is nothing to forecast from yet. As conversations arrive, this screen forecasts them and the advisors they need.", "Aucune conversation dans la période d'historique : rien à prévoir pour l'instant. Dès que des conversations arrivent, cet écran les prévoit, ainsi que les conseillers nécessaires."),
    ("staffing.insufficient", "Not enough history yet: the forecast needs at least 7 full days covering every day of the week.", "Historique insuffisant : la prévision a besoin d'au moins 7 jours complets couvrant chaque jour de la semaine."),
    ("staffing.sites", "Sites and rosters", "Sites et effectifs"),
    ("staffing.no_sites", "No site yet: add sites with their time zone, and give advisors a site, to compare the need with who is on shift.", "Aucun site : créez les sites avec leur fuseau horaire et rattachez-y les conseillers pour comparer le besoin aux présents."),
    ("staffing.hours", "Opening hours (local)", "Heures d'ouverture (locales)"),
    ("staffing.rostered", "Rostered advisors", "Conseillers rattachés"),
    ("staffing.by_interval", "Plan by interval", "Plan par intervalle"),
    ("staffing.group_forecast", "Forecast contacts", "Contacts prévus"),
    ("staffing.group_need", "Advisors needed", "Conseillers nécessaires"),
    ("staffing.group_sites", "Scheduled by site (local time)", "Planifiés par site (heure locale)"),
    ("staffing.group_cover", "Cover", "Couverture"),
    ("staffing.col_required", "On contacts", "En production"),
    ("staffing.col_to_schedule", "To schedule", "À planifier"),
    ("staffing.col_scheduled", "Scheduled", "Planifiés"),
    ("staffing.col_gap", "Gap", "Écart"),
    ("staffing.closed", "closed", "fermé"),
    ("staffing.legend_contacts", "Forecast contacts", "Contacts prévus"),
    ("staffing.legend_needed", "Advisors to schedule", "Conseillers à planifier"),
    ("staffing.legend_scheduled", "Advisors scheduled", "Conseillers planifiés"),
    ("staffing.legend_short", "Shortfall", "Sous-effectif"),
    ("staffing.axis_advisors", "advisors", "conseillers"),
    ("staffing.axis_contacts", "contacts", "contacts"),
    ("settings.title", "Settings", "Réglages"),
    ("settings.language", "Language", "Langue"),
    ("settings.tokens", "Personal API tokens", "Jetons d'API personnels"),
    ("settings.tokens_hint", "A token acts as you in the API: send it as Authorization: Bearer <token>. It is shown once.", "Un jeton agit en votre nom dans l'API : envoyez-le en en-tête Authorization: Bearer <jeton>. Il n'est affiché qu'une fois."),
    ("settings.token_name", "Token name", "Nom du jeton"),
    ("settings.create_token", "Create token", "Créer un jeton"),
    ("settings.revoke", "Revoke", "Révoquer"),
    ("settings.revoked", "revoked", "révoqué"),
    ("settings.new_token", "Your new token (copy it now):", "Votre nouveau jeton (copiez-le maintenant) :"),
    ("settings.no_tokens", "No token yet.", "Aucun jeton pour l'instant."),
    ("settings.never", "never", "jamais"),
    ("keys.title", "Keyboard shortcuts", "Raccourcis clavier"),
    ("keys.next", "next / previous conversation", "conversation suivante / précédente"),
    ("keys.open", "open the selected conversation", "ouvrir la conversation choisie"),
    ("keys.reply", "reply", "répondre"),
    ("keys.note", "internal note", "note interne"),
    ("keys.take", "assign to me", "m'attribuer"),
    ("keys.send", "send the reply or note", "envoyer la réponse ou la note"),
    ("keys.goto", "go to inbox / board", "aller à la boîte / au tableau"),
    ("keys.help", "this help", "cette aide"),
    ("keys.close", "close", "fermer"),
    ("status.new", "New", "Nouvelle"),
    ("status.open", "Open", "Ouverte"),
    ("status.pending", "Pending", "En attente"),
    ("status.resolved", "Resolved", "Résolue"),
    ("status.closed", "Closed", "Close"),
    ("priority.low", "Low", "Basse"),
    ("priority.normal", "Normal", "Normale"),
    ("priority.high", "High", "Haute"),
    ("priority.urgent", "Urgent", "Urgente"),
    ("channel.email", "E-mail", "E-mail"),
    ("channel.phone", "Phone", "Téléphone"),
    ("channel.chat", "Chat", "Tchat"),
    ("channel.social", "Social", "Réseaux sociaux"),
    ("channel.letter", "Letter", "Courrier"),
    ("direction.inbound", "Customer", "Client"),
    ("direction.outbound", "Reply", "Réponse"),
    ("direction.note", "Note", "Note"),
    ("role.tenant_admin", "Tenant admin", "Administrateur"),
    ("role.supervisor", "Supervisor", "Superviseur"),
    ("role.knowledge_manager", "Knowledge manager", "Gestionnaire des connaissances"),
    ("role.advisor", "Advisor", "Conseiller"),
    ("role.client_viewer", "Client viewer", "Observateur client"),
    ("tier.n1", "Level 1", "Niveau 1"),
    ("tier.n2", "Level 2", "Niveau 2"),
    ("tier.expert", "Experts", "Experts"),
    ("age.under_25", "under 25", "moins de 25 ans"),
    ("age.25_39", "25–39", "25–39 ans"),
    ("age.40_59", "40–59", "40–59 ans"),
    ("age.60_74", "60–74", "60–74 ans"),
    ("age.75_plus", "75 and over", "75 ans et plus"),
    ("level.low", "low", "faible"),
    ("level.medium", "medium", "moyenne"),
    ("level.high", "high", "forte"),
    ("value.bronze", "bronze", "bronze"),
    ("value.silver", "silver", "argent"),
    ("value.gold", "gold", "or"),
    ("value.platinum", "platinum", "platine"),
    ("contract.standard", "standard", "standard"),
    ("contract.pro", "pro", "pro"),
    ("contract.expert", "expert", "expert"),
    ("lang.fr", "French", "Français"),
    ("lang.en", "English", "Anglais"),
    ("identity.email", "E-mail", "E-mail"),
    ("identity.phone", "Phone", "Téléphone"),
    ("identity.social", "Social", "Réseau social"),
    ("time.now", "just now", "à l'instant"),
    ("empty.dash", "—", "—"),
    // The supervisor's wallboard.
    ("nav.wallboard", "Wallboard", "Mur"),
    ("wallboard.title", "Wallboard", "Mur de supervision"),
    ("wallboard.keys", "Refreshed every 2 seconds. Press g then w to come back here.", "Actualisé toutes les 2 secondes. Tapez g puis w pour revenir ici."),
    ("wallboard.not_configured", "No queue is routed yet: this brand's queues and workflows are not set up.", "Aucune file n'est routée : les files et workflows de cette marque ne sont pas configurés."),
    ("wallboard.configure", "Set up queues and workflows", "Configurer les files et workflows"),
    ("wallboard.no_router", "No server has published live figures yet; they appear within seconds of the router starting.", "Aucun serveur n'a encore publié de chiffres en direct ; ils apparaissent quelques secondes après le démarrage du routeur."),
    ("wallboard.stale", "No server is routing this brand right now. Live figures date from", "Aucun serveur ne route cette marque en ce moment. Les chiffres en direct datent du"),
    ("wallboard.rules", "Service level: answered within {t} s ÷ answered, target {n} %. Customers who hang up within {s} s are short abandons, counted apart. Today since {day}.", "Niveau de service : décrochés en {t} s ou moins ÷ décrochés, objectif {n} %. Les clients qui raccrochent en moins de {s} s sont des abandons courts, comptés à part. Aujourd'hui depuis le {day}."),
    ("wallboard.queues", "Queues", "Files"),
    ("wallboard.queue", "Queue", "File"),
    ("wallboard.waiting", "Waiting", "En attente"),
    ("wallboard.longest", "Longest wait", "Plus longue attente"),
    ("wallboard.level", "Service level today", "Niveau de service du jour"),
    ("wallboard.answered", "In time / answered", "À temps / décrochés"),
    ("wallboard.short", "Short abandons", "Abandons courts"),
    ("wallboard.abandoned", "Abandons", "Abandons"),
    ("wallboard.advisors", "Advisors", "Conseillers"),
    ("wallboard.no_queues", "No queue has figures yet.", "Aucune file n'a encore de chiffres."),
    ("wallboard.gone", "(no longer configured)", "(plus configurée)"),
    ("wallboard.chart", "Today's service level by queue, against the target", "Niveau de service du jour par file, face à l'objectif"),
    ("wallboard.target_line", "target {n} %", "objectif {n} %"),
    ("wallboard.all_advisors", "Advisors by state", "Conseillers par état"),
    ("wallboard.no_advisors", "No advisor is known to the router yet.", "Le routeur ne connaît encore aucun conseiller."),
    ("wallboard.postponed", "Breaks pushed back today", "Pauses reportées aujourd'hui"),
    ("wallboard.postponed_none", "Nobody pushed a break back today.", "Personne n'a reporté de pause aujourd'hui."),
    ("wallboard.postponed_count", "Times", "Fois"),
    ("wallboard.postponed_until", "Break now due at", "Pause désormais prévue à"),
];

/// A translator bound to one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Language,
}

impl Tr {
    pub fn new(lang: Language) -> Tr {
        Tr { lang }
    }

    /// The text for `key`; the key itself if missing, so a gap is visible, not fatal.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match CATALOG.iter().find(|(k, _, _)| *k == key) {
            Some((_, en, fr)) => match self.lang {
                Language::En => en,
                Language::Fr => fr,
            },
            None => key,
        }
    }

    /// Translates an enum value under a prefix, e.g. `status` + `open`.
    pub fn e(&self, prefix: &str, value: &str) -> String {
        let key = format!("{prefix}.{value}");
        match CATALOG.iter().find(|(k, _, _)| *k == key) {
            Some((_, en, fr)) => match self.lang {
                Language::En => (*en).to_string(),
                Language::Fr => (*fr).to_string(),
            },
            None => value.to_string(),
        }
    }

    pub fn code(&self) -> &'static str {
        self.lang.as_str()
    }

    /// "5 min ago" / "il y a 5 min", coarse on purpose: a desk needs the order of magnitude.
    pub fn ago(&self, then: Timestamp, now: Timestamp) -> String {
        let s = then.seconds_until(now).max(0);
        let (n, unit) = match s {
            0..=44 => return self.t("time.now").to_string(),
            45..=3_599 => ((s + 30) / 60, "min"),
            3_600..=86_399 => ((s + 1_800) / 3_600, "h"),
            _ => (
                (s + 43_200) / 86_400,
                if self.lang == Language::Fr { "j" } else { "d" },
            ),
        };
        match self.lang {
            Language::En => format!("{n} {unit} ago"),
            Language::Fr => format!("il y a {n} {unit}"),
        }
    }

    /// Local date and time for a person reading a timeline (UTC until user time zones land).
    pub fn datetime(&self, t: Timestamp) -> String {
        let d = t.to_datetime();
        match self.lang {
            Language::En => format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                d.year(),
                d.month() as u8,
                d.day(),
                d.hour(),
                d.minute()
            ),
            Language::Fr => format!(
                "{:02}/{:02}/{:04} {:02}h{:02} UTC",
                d.day(),
                d.month() as u8,
                d.year(),
                d.hour(),
                d.minute()
            ),
        }
    }
}

/// The best language from an Accept-Language header; French by default.
pub fn negotiate(accept: Option<&str>) -> Language {
    let Some(accept) = accept else {
        return Language::Fr;
    };
    let mut best: Option<(f32, Language)> = None;
    for part in accept.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag.starts_with("fr") {
            Language::Fr
        } else if tag.starts_with("en") {
            Language::En
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or(Language::Fr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_key_exists_in_both_languages() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("tr.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if !CATALOG.iter().any(|(k, _, _)| *k == key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing keys: {missing:?}");
        for (k, en, fr) in CATALOG {
            assert!(!en.is_empty() && !fr.is_empty(), "{k}");
        }
        let mut keys: Vec<&str> = CATALOG.iter().map(|(k, _, _)| *k).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), CATALOG.len(), "duplicate keys");
    }

    #[test]
    fn every_enum_value_has_a_label() {
        use plateau_core::model::*;
        let check = |prefix: &str, v: &str| {
            let key = format!("{prefix}.{v}");
            assert!(CATALOG.iter().any(|(k, _, _)| *k == key), "{key}");
        };
        Status::ALL.iter().for_each(|v| check("status", v.as_str()));
        Channel::ALL
            .iter()
            .for_each(|v| check("channel", v.as_str()));
        Priority::ALL
            .iter()
            .for_each(|v| check("priority", v.as_str()));
        Role::ALL.iter().for_each(|v| check("role", v.as_str()));
        AgeBand::ALL.iter().for_each(|v| check("age", v.as_str()));
        ValueTier::ALL
            .iter()
            .for_each(|v| check("value", v.as_str()));
        Tier::ALL.iter().for_each(|v| check("tier", v.as_str()));
    }

    #[test]
    fn language_negotiation_and_relative_times() {
        assert_eq!(negotiate(Some("en-GB,en;q=0.9,fr;q=0.8")), Language::En);
        assert_eq!(negotiate(Some("de-DE,fr;q=0.5,en;q=0.4")), Language::Fr);
        assert_eq!(negotiate(None), Language::Fr);
        let now = Timestamp(10_000_000_000);
        assert_eq!(
            Tr::new(Language::En).ago(now.minus_seconds(600), now),
            "10 min ago"
        );
        assert_eq!(
            Tr::new(Language::Fr).ago(now.minus_seconds(7200), now),
            "il y a 2 h"
        );
        assert_eq!(
            Tr::new(Language::Fr).ago(now.minus_seconds(3 * 86400), now),
            "il y a 3 j"
        );
    }
}
