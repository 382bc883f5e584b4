//! The demo contact centre: two client brands served from Paris, Casablanca,
//! Cape Town and Sydney, about fifty people, and about two thousand
//! conversations in French and English across every channel. Generated from a
//! fixed seed, so every demo shows the same floor.

use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use plateau_core::model::*;
use plateau_core::Timestamp;
use plateau_store::conversations::{CustomerRef, Import, NewConversation, NewMessage};
use plateau_store::customers::NewCustomer;
use plateau_store::users::NewUser;
use plateau_store::Store;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

mod forum;
mod knowledge;
mod trees;

pub const DEMO_PASSWORD: &str = "plateau-demo";

/// The logins printed after seeding: (e-mail, what they show).
pub const LOGINS: &[(&str, &str)] = &[
    (
        "awa@plateau.demo",
        "advisor, level 1, Casablanca — serves both brands",
    ),
    (
        "hugo@plateau.demo",
        "advisor, level 2, Paris — open a second browser with this one to see live updates",
    ),
    ("superviseur@plateau.demo", "supervisor — the board"),
    (
        "savoir@plateau.demo",
        "knowledge manager — articles, diagnostic trees and their analytics",
    ),
    (
        "client@orbitel.demo",
        "client viewer — Orbitel's read-only account",
    ),
    ("admin@plateau.demo", "platform admin"),
];

struct Scenario {
    reason: &'static str,
    tags: &'static [&'static str],
    fr: (&'static str, &'static str),
    en: (&'static str, &'static str),
    reply_fr: &'static [&'static str],
    reply_en: &'static [&'static str],
    follow_fr: &'static str,
    follow_en: &'static str,
    /// The seeds' chat-to-phone hand-over (card payments are taken by phone).
    to_phone: bool,
}

const ORBITEL: &[Scenario] = &[
    Scenario { reason: "internet-lent", tags: &["fibre", "debit"], fr: ("Connexion très lente depuis hier soir", "Bonjour, ma connexion rame depuis hier soir, impossible de regarder une vidéo. J'ai déjà redémarré la box deux fois."), en: ("Very slow broadband since last night", "Hello, my internet has been crawling since last night and videos will not load. I have restarted the router twice already."), reply_fr: &["Bonjour, merci pour ces précisions. Je lance un test de ligne à distance et je reviens vers vous.", "Le test montre une saturation sur votre secteur ; une intervention est prévue demain matin."], reply_en: &["Hello, thanks for the details. I am running a remote line test and will come back to you.", "The test shows congestion in your area; an engineer is scheduled tomorrow morning."], follow_fr: "Merci, c'est revenu à la normale ce matin.", follow_en: "Thanks, it is back to normal this morning.", to_phone: false },
    Scenario { reason: "coupure", tags: &["incident"], fr: ("Plus d'internet ni de téléphone fixe", "Depuis ce matin plus rien ne fonctionne : ni internet, ni le fixe. Le voyant de la box clignote en rouge."), en: ("No internet and no landline", "Since this morning nothing works: no internet and no landline. The router light is blinking red."), reply_fr: &["Un incident est en cours dans votre commune. Le rétablissement est estimé à 16 h.", "Le service est rétabli ; pouvez-vous confirmer que tout fonctionne ?"], reply_en: &["There is an outage in your area. Service should be back around 4 pm.", "Service is restored; can you confirm everything works?"], follow_fr: "Oui tout remarche, merci.", follow_en: "Yes, all working again, thank you.", to_phone: false },
    Scenario { reason: "facture", tags: &["facturation"], fr: ("Montant de ma facture incompréhensible", "Ma facture de ce mois est de 64 € au lieu de 39 €. Je n'ai rien changé à mon abonnement."), en: ("Bill higher than expected", "This month's bill is 64 € instead of 39 €. I have not changed my plan."), reply_fr: &["La différence vient d'appels vers l'international le 3 et le 7. Je vous envoie le détail.", "À titre commercial, j'applique un avoir de 10 € sur votre prochaine facture."], reply_en: &["The difference comes from international calls on the 3rd and the 7th. I am sending you the breakdown.", "As a goodwill gesture I have applied a 10 € credit to your next bill."], follow_fr: "D'accord, je n'avais pas vu ces appels. Merci pour l'avoir.", follow_en: "I see, I had missed those calls. Thanks for the credit.", to_phone: false },
    Scenario { reason: "box-wifi", tags: &["box", "wifi"], fr: ("Le wifi de la box se coupe sans arrêt", "Le wifi se coupe toutes les dix minutes, surtout le soir. Les appareils en filaire marchent."), en: ("Router wifi keeps dropping", "The wifi drops every ten minutes, mostly in the evening. Wired devices are fine."), reply_fr: &["Je vous propose de passer la box sur le canal 11 : Menu > Wifi > Canal. Cela règle la plupart des interférences.", "Si le problème persiste, nous vous envoyons une box de remplacement sous 48 h."], reply_en: &["Please switch the router to channel 11: Menu > Wifi > Channel. That solves most interference.", "If it keeps happening we will ship a replacement router within 48 hours."], follow_fr: "Le changement de canal a suffi, merci !", follow_en: "Changing the channel did it, thanks!", to_phone: false },
    Scenario { reason: "demenagement", tags: &["demenagement"], fr: ("Déménagement le 15 : transfert de ma ligne", "Je déménage le 15 du mois prochain à Lyon. Comment transférer mon abonnement sans coupure ?"), en: ("Moving on the 15th: transferring my line", "I am moving to Lyon on the 15th of next month. How do I transfer my plan without losing service?"), reply_fr: &["Votre transfert est enregistré pour le 15. Un technicien passera le 16 entre 8 h et 12 h."], reply_en: &["Your transfer is booked for the 15th. An engineer will visit on the 16th between 8 am and noon."], follow_fr: "Parfait, merci.", follow_en: "Perfect, thank you.", to_phone: false },
    Scenario { reason: "resiliation", tags: &["fidelisation"], fr: ("Je souhaite résilier mon abonnement", "Bonjour, je voudrais résilier. Un concurrent me propose la fibre à 25 €."), en: ("I want to cancel my contract", "Hello, I would like to cancel. Another provider offers fibre for 25 €."), reply_fr: &["Je comprends. Je peux vous proposer notre offre fidélité à 24,99 € pendant 12 mois, sans engagement.", "C'est noté, l'offre fidélité est activée à partir de votre prochaine facture."], reply_en: &["I understand. I can offer you our loyalty plan at 24.99 € for 12 months, no commitment.", "Done: the loyalty plan starts with your next bill."], follow_fr: "D'accord pour l'offre, je reste.", follow_en: "Fine, I will take the offer and stay.", to_phone: false },
    Scenario { reason: "reseau-mobile", tags: &["mobile", "couverture"], fr: ("Pas de réseau mobile chez moi", "Je n'ai plus de réseau dans mon appartement depuis une semaine, alors que la carte indique une bonne couverture."), en: ("No mobile signal at home", "I have had no signal in my flat for a week, although the coverage map says it is good."), reply_fr: &["Une antenne proche est en maintenance jusqu'à vendredi. Vous pouvez activer les appels wifi dans Réglages > Téléphone."], reply_en: &["A nearby mast is under maintenance until Friday. You can turn on wifi calling in Settings > Phone."], follow_fr: "Les appels wifi marchent, merci du conseil.", follow_en: "Wifi calling works, thanks for the tip.", to_phone: false },
    Scenario { reason: "paiement", tags: &["paiement", "carte"], fr: ("Paiement par carte refusé", "Je n'arrive pas à régler ma facture en ligne, la carte est refusée à chaque fois."), en: ("Card payment declined", "I cannot pay my bill online, the card is declined every time."), reply_fr: &["Pour votre sécurité, je vous appelle pour prendre le paiement par téléphone.", "Paiement de 39 € reçu, merci. Votre ligne n'est plus suspendue."], reply_en: &["For your security I will call you to take the payment over the phone.", "Payment of 39 € received, thank you. Your line is no longer suspended."], follow_fr: "Merci pour votre appel.", follow_en: "Thanks for calling me.", to_phone: true },
    Scenario { reason: "tv", tags: &["tv", "decodeur"], fr: ("La télé ne s'affiche plus", "Le décodeur affiche « pas de signal » depuis la mise à jour d'hier."), en: ("TV shows no picture", "The set-top box says 'no signal' since yesterday's update."), reply_fr: &["Débranchez le décodeur 30 secondes puis maintenez le bouton OK au redémarrage pour réinstaller la mise à jour."], reply_en: &["Unplug the set-top box for 30 seconds, then hold OK while it restarts to reinstall the update."], follow_fr: "Ça a marché, merci beaucoup.", follow_en: "That worked, many thanks.", to_phone: false },
];

const LUMIERE: &[Scenario] = &[
    Scenario { reason: "livraison-retard", tags: &["livraison"], fr: ("Commande toujours pas livrée", "Ma commande n° 48213 devait arriver mardi et je n'ai rien reçu. Le suivi ne bouge plus."), en: ("Order still not delivered", "Order 48213 was due on Tuesday and nothing has arrived. Tracking has not moved."), reply_fr: &["Le transporteur a signalé un retard au dépôt. Votre colis sera livré jeudi.", "Votre colis est livré ; pour le désagrément nous vous offrons la livraison sur la prochaine commande."], reply_en: &["The carrier reported a delay at the depot. Your parcel will arrive on Thursday.", "Your parcel has been delivered; for the trouble, your next delivery is on us."], follow_fr: "Bien reçu, merci.", follow_en: "Received, thanks.", to_phone: false },
    Scenario { reason: "produit-panne", tags: &["sav", "autocuiseur"], fr: ("Mon autocuiseur ne chauffe plus", "Mon autocuiseur acheté il y a 8 mois ne chauffe plus du tout, le voyant reste éteint."), en: ("My pressure cooker no longer heats", "The pressure cooker I bought 8 months ago does not heat at all; the light stays off."), reply_fr: &["Pouvez-vous vérifier le fusible sous l'appareil ? Sinon il est sous garantie : je vous envoie une étiquette de retour.", "Le réparateur agréé a remplacé la résistance, l'appareil vous est renvoyé aujourd'hui."], reply_en: &["Could you check the fuse under the base? Otherwise it is under warranty: I am sending a return label.", "The approved repairer replaced the heating element; it ships back to you today."], follow_fr: "Reçu réparé, merci pour la rapidité.", follow_en: "Got it back repaired, thanks for the speed.", to_phone: false },
    Scenario { reason: "retour", tags: &["retour"], fr: ("Retour d'un article qui ne convient pas", "La taille de la nappe ne convient pas, je voudrais la retourner."), en: ("Returning an item", "The tablecloth is the wrong size and I would like to return it."), reply_fr: &["Votre bon de retour gratuit est dans votre espace client ; le remboursement est fait dès réception."], reply_en: &["Your free return label is in your account; we refund as soon as it arrives."], follow_fr: "Merci, déposé ce matin en point relais.", follow_en: "Thanks, dropped it at the pick-up point this morning.", to_phone: false },
    Scenario { reason: "garantie", tags: &["garantie"], fr: ("Prise en charge sous garantie", "La poignée de ma poêle s'est détachée après trois mois. Est-ce couvert ?"), en: ("Warranty claim", "The handle of my frying pan came off after three months. Is that covered?"), reply_fr: &["Oui, c'est couvert par la garantie de deux ans. Une poêle neuve vous est expédiée."], reply_en: &["Yes, the two-year warranty covers it. A new pan is on its way."], follow_fr: "Super, merci !", follow_en: "Great, thank you!", to_phone: false },
    Scenario { reason: "piece-detachee", tags: &["piece-detachee"], fr: ("Commander un joint de remplacement", "Je cherche le joint du couvercle pour mon autocuiseur 6 L, référence X1050."), en: ("Ordering a replacement seal", "I am looking for the lid seal for my 6 L pressure cooker, reference X1050."), reply_fr: &["Le joint X1050-J est disponible à 12,90 €. Je vous mets le lien vers la boutique des pièces."], reply_en: &["Seal X1050-J is available at 12.90 €. Here is the link to the spare-parts shop."], follow_fr: "Commandé, merci.", follow_en: "Ordered, thanks.", to_phone: false },
    Scenario { reason: "remboursement", tags: &["remboursement"], fr: ("Remboursement non reçu", "J'ai renvoyé un article il y a trois semaines et je n'ai toujours pas été remboursée."), en: ("Refund not received", "I sent an item back three weeks ago and still have no refund."), reply_fr: &["Le retour est bien arrivé ; le remboursement de 59 € part aujourd'hui, comptez 3 à 5 jours."], reply_en: &["The return arrived; the 59 € refund goes out today, allow 3 to 5 days."], follow_fr: "Reçu sur mon compte, merci.", follow_en: "It is in my account, thanks.", to_phone: false },
    Scenario { reason: "notice", tags: &["notice", "friteuse"], fr: ("Notice de la friteuse sans huile", "J'ai perdu la notice de ma friteuse sans huile, comment régler la température pour des frites ?"), en: ("Air fryer instructions", "I lost the manual of my air fryer; what temperature for chips?"), reply_fr: &["Pour des frites fraîches : 200 °C pendant 18 minutes, en secouant à mi-cuisson. La notice PDF est en pièce jointe."], reply_en: &["For fresh chips: 200 °C for 18 minutes, shaking halfway. The PDF manual is attached."], follow_fr: "Parfait, merci.", follow_en: "Perfect, thanks.", to_phone: false },
    Scenario { reason: "paiement", tags: &["paiement"], fr: ("Paiement en plusieurs fois", "Est-il possible de payer mon robot pâtissier en trois fois ?"), en: ("Paying in instalments", "Can I pay for my stand mixer in three instalments?"), reply_fr: &["Oui ; je vous appelle pour enregistrer le paiement en trois fois par carte."], reply_en: &["Yes; I will call you to set up the three card payments."], follow_fr: "Merci pour l'appel, c'est réglé.", follow_en: "Thanks for the call, all set.", to_phone: true },
];

const NOTES_FR: &[&str] = &[
    "Client déjà rappelé deux fois cette semaine, geste commercial possible.",
    "Vérifié dans l'outil de ligne : synchro OK.",
    "Cliente âgée, peu à l'aise avec l'informatique : privilégier le téléphone.",
    "Escalade N2 si pas de retour sous 48 h.",
];
const NOTES_EN: &[&str] = &[
    "Customer called twice this week; a goodwill gesture is fine.",
    "Checked the line tool: sync OK.",
    "Prefers phone; not comfortable with online forms.",
    "Escalate to level 2 if no answer within 48 h.",
];

const FIRST_FR: &[&str] = &[
    "Camille", "Léa", "Lucas", "Chloé", "Manon", "Yanis", "Inès", "Nathan", "Sarah", "Karim",
    "Fatima", "Youssef", "Salma", "Mehdi", "Amine", "Nadia", "Julien", "Claire", "Thomas",
    "Émilie", "Antoine", "Pauline", "Sofiane", "Leïla", "Jeanne", "Marcel", "Odette", "Bernard",
];
const LAST_FR: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Durand",
    "Lefebvre",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Garcia",
    "Benali",
    "El Idrissi",
    "Alaoui",
    "Bennani",
    "Tazi",
    "Chraibi",
    "Fontaine",
    "Roux",
    "Girard",
    "Morel",
    "Mercier",
    "Blanc",
    "Guérin",
    "Faure",
];
const FIRST_EN: &[&str] = &[
    "Thabo",
    "Lerato",
    "Sipho",
    "Naledi",
    "Pieter",
    "Anika",
    "Jack",
    "Olivia",
    "Noah",
    "Charlotte",
    "Liam",
    "Amelia",
    "Ethan",
    "Grace",
    "Zanele",
    "Johan",
];
const LAST_EN: &[&str] = &[
    "Nkosi",
    "Dlamini",
    "van der Merwe",
    "Botha",
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Taylor",
    "Wilson",
    "Naidoo",
    "Mokoena",
    "Pillay",
    "Clarke",
];

fn ascii_slug(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ï' | 'î' => 'i',
            'ç' => 'c',
            'à' | 'â' => 'a',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '.',
        })
        .collect()
}

/// A group of advisors hired together: (count, site, Orbitel team, Maison Lumière team, language).
type Floor = (
    usize,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Language,
);

struct Person {
    email: String,
    name: String,
    locale: Language,
    /// (tenant index, role, team name, site name)
    memberships: Vec<(usize, Role, Option<&'static str>, Option<&'static str>)>,
    platform_admin: bool,
}

/// Seeds the demo unless a previous run already did. Returns false if it was there.
/// Opening hours per site (local time: Sydney covers the Paris night), a
/// routing profile for every advisor, and a floor that is mostly available,
/// with a few people on a break or in training and one who pushed a break back.
async fn seed_floor(
    store: &Store,
    tenants: &[plateau_core::model::Tenant],
    site_ids: &[Vec<(String, Uuid)>],
    team_ids: &[Vec<(&'static str, Uuid, Tier)>],
    roster: &[Vec<(&'static str, Uuid, Language)>],
) -> anyhow::Result<()> {
    use plateau_core::routing::{Presence, RoutingProfile};
    let hours = [
        (
            "Paris",
            "lun-sam 08:00-20:00",
            "2026-12-25 Noël\n2027-01-01 Jour de l'an",
        ),
        ("Casablanca", "lun-sam 08:00-22:00", ""),
        (
            "Le Cap",
            "mon-fri 08:00-18:00\nsat 09:00-13:00",
            "2026-12-25 Christmas",
        ),
        ("Sydney", "mon-sun 07:00-17:00", "2026-12-25 Christmas"),
    ];
    for (b, t) in tenants.iter().enumerate() {
        for (site, h, holidays) in hours {
            if let Some((_, id)) = site_ids[b].iter().find(|(n, _)| n == site) {
                store.set_site_hours(t.id, *id, h, holidays, None).await?;
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (b, t) in tenants.iter().enumerate() {
        for (i, (team, user, locale)) in roster[b].iter().enumerate() {
            let tier = team_ids[b]
                .iter()
                .find(|(n, _, _)| n == team)
                .map_or(Tier::N1, |x| x.2);
            // The team's subject is its skill: "N1 Internet" → internet.
            let skill: String = team
                .split_whitespace()
                .last()
                .unwrap_or("general")
                .to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let level = match tier {
                Tier::N1 => 2 + (i % 2) as u8,
                Tier::N2 => 4,
                Tier::Expert => 5,
            };
            let mut languages = vec![*locale];
            if i % 3 == 0 {
                languages.push(if *locale == Language::Fr {
                    Language::En
                } else {
                    Language::Fr
                });
            }
            let capacity = match tier {
                Tier::N1 => [
                    (Channel::Phone, 1),
                    (Channel::Chat, 3),
                    (Channel::Email, 10),
                ]
                .into(),
                _ => [(Channel::Phone, 1), (Channel::Email, 8)].into(),
            };
            let profile = RoutingProfile {
                skills: [(
                    if skill.is_empty() {
                        "general".into()
                    } else {
                        skill
                    },
                    level,
                )]
                .into(),
                languages,
                tier,
                capacity,
            };
            store
                .set_routing_profile(t.id, *user, &profile, None)
                .await?;
            if seen.insert(*user) {
                let (state, reason) = match i % 9 {
                    3 => (Presence::Break, Some("Pause déjeuner")),
                    5 => (Presence::Training, Some("Formation fibre")),
                    7 => (Presence::Offline, None),
                    _ => (Presence::Available, None),
                };
                store
                    .set_presence(*user, state, reason, Some(*user))
                    .await?;
                if i % 9 == 1 {
                    store.postpone_break(*user, 15).await?;
                }
            }
        }
    }
    Ok(())
}

pub async fn seed(store: &Store, progress: bool) -> anyhow::Result<bool> {
    if store.tenant_by_slug("orbitel").await.is_ok() {
        return Ok(false);
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let bar = |len: u64, msg: &'static str| {
        let b = if progress {
            ProgressBar::new(len)
        } else {
            ProgressBar::hidden()
        };
        b.set_style(
            ProgressStyle::with_template("{msg:>14} {bar:40} {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_message(msg);
        b.enable_steady_tick(Duration::from_millis(200));
        b
    };

    let brands = [
        ("orbitel", "Orbitel Télécom"),
        ("maison-lumiere", "Maison Lumière"),
    ];
    let sites = [
        ("Paris", "FR", "Europe/Paris"),
        ("Casablanca", "MA", "Africa/Casablanca"),
        ("Le Cap", "ZA", "Africa/Johannesburg"),
        ("Sydney", "AU", "Australia/Sydney"),
    ];
    // (brand, team, tier, site)
    let team_defs: &[(usize, &'static str, Tier, &'static str)] = &[
        (0, "N1 Internet", Tier::N1, "Casablanca"),
        (0, "N1 Mobile", Tier::N1, "Casablanca"),
        (0, "N1 English", Tier::N1, "Le Cap"),
        (0, "Nuit Sydney", Tier::N1, "Sydney"),
        (0, "N2 Paris", Tier::N2, "Paris"),
        (0, "Cellule experts", Tier::Expert, "Paris"),
        (1, "N1 Commandes", Tier::N1, "Le Cap"),
        (1, "N1 SAV", Tier::N1, "Casablanca"),
        (1, "N2 SAV", Tier::N2, "Paris"),
        (1, "Experts produits", Tier::Expert, "Paris"),
    ];

    let mut tenants = Vec::new();
    let mut site_ids: Vec<Vec<(String, Uuid)>> = Vec::new();
    let mut team_ids: Vec<Vec<(&'static str, Uuid, Tier)>> = Vec::new();
    for (slug, name) in brands {
        let t = store.create_tenant(slug, name, None).await?;
        let mut s_ids = Vec::new();
        for (n, c, tz) in sites {
            let s = store.create_site(t.id, n, c, tz, None).await?;
            s_ids.push((n.to_string(), s.id));
        }
        site_ids.push(s_ids);
        team_ids.push(Vec::new());
        tenants.push(t);
    }
    for (b, name, tier, site) in team_defs {
        let site_id = site_ids[*b].iter().find(|(n, _)| n == site).map(|x| x.1);
        let team = store
            .create_team(tenants[*b].id, site_id, name, *tier, None)
            .await?;
        team_ids[*b].push((name, team.id, *tier));
    }
    // Each brand's support address delivers to its first N1 team when the
    // server receives mail (`serve --smtp-listen`).
    for (b, t) in tenants.iter().enumerate() {
        let first_team = team_ids[b].first().map(|x| x.1);
        store
            .put_mailbox(t.id, &format!("support@{}.demo", t.slug), first_team, None)
            .await?;
    }

    // People. Level-1 advisors in Casablanca and Cape Town serve both brands,
    // as outsourcers' floors do.
    let mut people: Vec<Person> = vec![
        Person {
            email: "admin@plateau.demo".into(),
            name: "Admin Plateau".into(),
            locale: Language::Fr,
            memberships: vec![],
            platform_admin: true,
        },
        Person {
            email: "awa@plateau.demo".into(),
            name: "Awa Diallo".into(),
            locale: Language::Fr,
            memberships: vec![
                (0, Role::Advisor, Some("N1 Internet"), Some("Casablanca")),
                (1, Role::Advisor, Some("N1 SAV"), Some("Casablanca")),
            ],
            platform_admin: false,
        },
        Person {
            email: "hugo@plateau.demo".into(),
            name: "Hugo Lemaire".into(),
            locale: Language::Fr,
            memberships: vec![(0, Role::Advisor, Some("N2 Paris"), Some("Paris"))],
            platform_admin: false,
        },
        Person {
            email: "superviseur@plateau.demo".into(),
            name: "Sophie Marchand".into(),
            locale: Language::Fr,
            memberships: vec![
                (0, Role::Supervisor, None, Some("Paris")),
                (1, Role::Supervisor, None, Some("Paris")),
            ],
            platform_admin: false,
        },
        Person {
            email: "client@orbitel.demo".into(),
            name: "Orbitel (lecture seule)".into(),
            locale: Language::Fr,
            memberships: vec![(0, Role::ClientViewer, None, None)],
            platform_admin: false,
        },
        Person {
            email: "client@maison-lumiere.demo".into(),
            name: "Maison Lumière (lecture seule)".into(),
            locale: Language::Fr,
            memberships: vec![(1, Role::ClientViewer, None, None)],
            platform_admin: false,
        },
        Person {
            email: "admin@orbitel.demo".into(),
            name: "Marc Vidal".into(),
            locale: Language::Fr,
            memberships: vec![(0, Role::TenantAdmin, None, Some("Paris"))],
            platform_admin: false,
        },
        Person {
            email: "admin@maison-lumiere.demo".into(),
            name: "Isabelle Caron".into(),
            locale: Language::Fr,
            memberships: vec![(1, Role::TenantAdmin, None, Some("Paris"))],
            platform_admin: false,
        },
        Person {
            email: "savoir@plateau.demo".into(),
            name: "Nicolas Perrin".into(),
            locale: Language::Fr,
            memberships: vec![
                (0, Role::KnowledgeManager, Some("N2 Paris"), Some("Paris")),
                (1, Role::KnowledgeManager, Some("N2 SAV"), Some("Paris")),
            ],
            platform_admin: false,
        },
        Person {
            email: "supervisor.capetown@plateau.demo".into(),
            name: "Thandi Mokoena".into(),
            locale: Language::En,
            memberships: vec![
                (0, Role::Supervisor, Some("N1 English"), Some("Le Cap")),
                (1, Role::Supervisor, Some("N1 Commandes"), Some("Le Cap")),
            ],
            platform_admin: false,
        },
        Person {
            email: "superviseur.casa@plateau.demo".into(),
            name: "Rachid Amrani".into(),
            locale: Language::Fr,
            memberships: vec![
                (0, Role::Supervisor, Some("N1 Internet"), Some("Casablanca")),
                (1, Role::Supervisor, Some("N1 SAV"), Some("Casablanca")),
            ],
            platform_admin: false,
        },
    ];
    let mut used = std::collections::HashSet::new();
    for p in &people {
        used.insert(p.email.clone());
    }
    // (count, site, brand-0 team, brand-1 team, language)
    let floors: &[Floor] = &[
        (
            9,
            "Casablanca",
            Some("N1 Internet"),
            Some("N1 SAV"),
            Language::Fr,
        ),
        (6, "Casablanca", Some("N1 Mobile"), None, Language::Fr),
        (
            8,
            "Le Cap",
            Some("N1 English"),
            Some("N1 Commandes"),
            Language::En,
        ),
        (4, "Sydney", Some("Nuit Sydney"), None, Language::Fr),
        (5, "Paris", Some("N2 Paris"), None, Language::Fr),
        (3, "Paris", None, Some("N2 SAV"), Language::Fr),
        (2, "Paris", Some("Cellule experts"), None, Language::Fr),
        (2, "Paris", None, Some("Experts produits"), Language::Fr),
    ];
    for (count, site, t0, t1, lang) in floors {
        for _ in 0..*count {
            let (first, last) = if *lang == Language::En {
                (
                    *FIRST_EN.choose(&mut rng).unwrap_or(&"Sam"),
                    *LAST_EN.choose(&mut rng).unwrap_or(&"Smith"),
                )
            } else {
                (
                    *FIRST_FR.choose(&mut rng).unwrap_or(&"Alex"),
                    *LAST_FR.choose(&mut rng).unwrap_or(&"Martin"),
                )
            };
            let mut email = format!("{}.{}@plateau.demo", ascii_slug(first), ascii_slug(last));
            let mut n = 2;
            while used.contains(&email) {
                email = format!(
                    "{}.{}{}@plateau.demo",
                    ascii_slug(first),
                    ascii_slug(last),
                    n
                );
                n += 1;
            }
            used.insert(email.clone());
            let mut memberships = Vec::new();
            if let Some(t) = t0 {
                memberships.push((0, Role::Advisor, Some(*t), Some(*site)));
            }
            if let Some(t) = t1 {
                memberships.push((1, Role::Advisor, Some(*t), Some(*site)));
            }
            people.push(Person {
                email,
                name: format!("{first} {last}"),
                locale: *lang,
                memberships,
                platform_admin: false,
            });
        }
    }

    let pb = bar(people.len() as u64, "people");
    // argon2 is deliberately slow and memory-hard: hash on one blocking thread,
    // one at a time, so seeding never holds dozens of 19 MiB buffers at once.
    let hashes = {
        let pb = pb.clone();
        let n = people.len();
        tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(plateau_web::auth::hash_password(DEMO_PASSWORD)?);
                pb.inc(1);
            }
            Ok(out)
        })
        .await
        .context("hashing task")??
    };
    pb.finish_and_clear();
    // advisors per (brand, team name): (user id, language)
    let mut roster: Vec<Vec<(&'static str, Uuid, Language)>> = vec![Vec::new(), Vec::new()];
    let mut knowledge_managers: Vec<Option<Uuid>> = vec![None, None];
    for (p, hash) in people.iter().zip(hashes) {
        let u = store
            .create_user(
                NewUser {
                    email: &p.email,
                    display_name: &p.name,
                    password_hash: Some(hash),
                    locale: p.locale,
                    platform_admin: p.platform_admin,
                },
                None,
            )
            .await?;
        for (b, role, team, site) in &p.memberships {
            let team_id =
                team.and_then(|tn| team_ids[*b].iter().find(|(n, _, _)| *n == tn).map(|x| x.1));
            let site_id =
                site.and_then(|sn| site_ids[*b].iter().find(|(n, _)| n == sn).map(|x| x.1));
            store
                .set_membership(
                    &Membership {
                        tenant_id: tenants[*b].id,
                        user_id: u.id,
                        role: *role,
                        team_id,
                        site_id,
                    },
                    None,
                )
                .await?;
            if *role == Role::KnowledgeManager {
                knowledge_managers[*b] = Some(u.id);
            }
            if matches!(role, Role::Advisor | Role::KnowledgeManager) {
                if let Some(tn) = team {
                    roster[*b].push((tn, u.id, p.locale));
                }
            }
        }
    }

    seed_floor(store, &tenants, &site_ids, &team_ids, &roster).await?;

    let per_brand = [1150usize, 850usize];
    let total: usize = per_brand.iter().sum();
    let pb = bar(total as u64, "conversations");
    let now = Timestamp::now();
    // What the knowledge base links to: (brand) → conversations with their reason.
    let mut conversations: Vec<Vec<knowledge::DemoConversation>> = vec![Vec::new(), Vec::new()];
    for (b, tenant) in tenants.iter().enumerate() {
        let scenarios = if b == 0 { ORBITEL } else { LUMIERE };
        let en_share = if b == 0 { 0.2 } else { 0.3 };
        // Returning customers: about one in three conversations is a repeat.
        let mut customers: Vec<(Uuid, Language)> = Vec::new();
        let mut batch = Vec::new();
        for i in 0..per_brand[b] {
            let lang = if rng.random::<f64>() < en_share {
                Language::En
            } else {
                Language::Fr
            };
            let reuse = !customers.is_empty() && rng.random::<f64>() < 0.33;
            let sc = &scenarios[rng.random_range(0..scenarios.len())];
            let (customer, lang) = if reuse {
                let (id, l) = customers[rng.random_range(0..customers.len())];
                (CustomerRef::Existing(id), l)
            } else {
                let (first, last) = if lang == Language::En {
                    (
                        *FIRST_EN.choose(&mut rng).unwrap_or(&"Sam"),
                        *LAST_EN.choose(&mut rng).unwrap_or(&"Smith"),
                    )
                } else {
                    (
                        *FIRST_FR.choose(&mut rng).unwrap_or(&"Alex"),
                        *LAST_FR.choose(&mut rng).unwrap_or(&"Martin"),
                    )
                };
                let email = format!(
                    "{}.{}.{}{}@example.{}",
                    ascii_slug(first),
                    ascii_slug(last),
                    b,
                    i,
                    if lang == Language::En { "co.za" } else { "fr" }
                );
                let phone = if lang == Language::En {
                    format!("+2782{:07}", rng.random_range(0..10_000_000))
                } else {
                    format!("+336{:08}", rng.random_range(0..100_000_000))
                };
                let mut identities =
                    vec![(IdentityKind::Email, email), (IdentityKind::Phone, phone)];
                if rng.random::<f64>() < 0.15 {
                    identities.push((
                        IdentityKind::Social,
                        format!("twitter:@{}{}{}", ascii_slug(first).replace('.', ""), b, i),
                    ));
                }
                let age = *AgeBand::ALL
                    .choose(&mut rng)
                    .unwrap_or(&AgeBand::From40To59);
                let tech = if matches!(age, AgeBand::From60To74 | AgeBand::Over75) {
                    TechAppetite::Low
                } else {
                    *TechAppetite::ALL
                        .choose(&mut rng)
                        .unwrap_or(&TechAppetite::Medium)
                };
                let contract = match rng.random_range(0..20) {
                    0 => ContractTier::Expert,
                    1..=4 => ContractTier::Pro,
                    _ => ContractTier::Standard,
                };
                (
                    CustomerRef::New(NewCustomer {
                        name: format!("{first} {last}"),
                        profile: CustomerProfile {
                            age_band: Some(age),
                            tech_appetite: Some(tech),
                            value_tier: ValueTier::ALL.choose(&mut rng).copied(),
                            contract_tier: contract,
                            language: lang,
                            preferred_channel: Channel::ALL.choose(&mut rng).copied(),
                        },
                        identities,
                    }),
                    lang,
                )
            };
            let channel = match rng.random_range(0..100) {
                0..=39 => Channel::Email,
                40..=64 => Channel::Phone,
                65..=84 => Channel::Chat,
                85..=94 => Channel::Social,
                _ => Channel::Letter,
            };
            let channel = if sc.to_phone { Channel::Chat } else { channel };
            // Busy hours on weekdays; older conversations are mostly finished.
            let days_ago = (rng.random::<f64>().powf(1.6) * 30.0) as i64;
            let hour = [9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 16, 17, 18, 20, 22]
                [rng.random_range(0..15)];
            let start = now
                .minus_seconds(days_ago * 86_400 + rng.random_range(0..3600))
                .minus_seconds(
                    ((now.to_datetime().hour() as i64 - hour as i64).rem_euclid(24)) * 3600,
                );
            let start = if start > now {
                now.minus_seconds(600)
            } else {
                start
            };
            let team_pool: Vec<&(&'static str, Uuid, Tier)> = team_ids[b]
                .iter()
                .filter(|(n, _, _)| roster[b].iter().any(|(tn, _, l)| tn == n && *l == lang))
                .collect();
            let team = team_pool.choose(&mut rng).map(|t| **t);
            let advisor = team.and_then(|t| {
                let pool: Vec<Uuid> = roster[b]
                    .iter()
                    .filter(|(tn, _, _)| *tn == t.0)
                    .map(|x| x.1)
                    .collect();
                pool.choose(&mut rng).copied()
            });
            let status = if days_ago > 6 {
                if rng.random::<f64>() < 0.6 {
                    Status::Closed
                } else {
                    Status::Resolved
                }
            } else {
                match rng.random_range(0..10) {
                    0..=1 => Status::New,
                    2..=4 => Status::Open,
                    5..=6 => Status::Pending,
                    _ => Status::Resolved,
                }
            };
            let (subject, body) = if lang == Language::En { sc.en } else { sc.fr };
            let replies = if lang == Language::En {
                sc.reply_en
            } else {
                sc.reply_fr
            };
            let mut followups = Vec::new();
            let mut t = start;
            if status != Status::New {
                let mut ch = channel;
                for (k, r) in replies.iter().enumerate() {
                    t = t.plus_seconds(rng.random_range(120..14_400));
                    if sc.to_phone && k == 1 {
                        ch = Channel::Phone;
                    }
                    followups.push(NewMessage {
                        direction: Direction::Outbound,
                        channel: ch,
                        author_id: advisor,
                        body: (*r).to_string(),
                        attachments: vec![],
                        then_status: None,
                        at: Some(t),
                    });
                    if k == 0 && rng.random::<f64>() < 0.3 {
                        let notes = if lang == Language::En {
                            NOTES_EN
                        } else {
                            NOTES_FR
                        };
                        t = t.plus_seconds(rng.random_range(30..600));
                        followups.push(NewMessage {
                            direction: Direction::Note,
                            channel: ch,
                            author_id: advisor,
                            body: (*notes.choose(&mut rng).unwrap_or(&"")).to_string(),
                            attachments: vec![],
                            then_status: None,
                            at: Some(t),
                        });
                    }
                }
                if matches!(status, Status::Resolved | Status::Closed) {
                    t = t.plus_seconds(rng.random_range(600..40_000));
                    followups.push(NewMessage {
                        direction: Direction::Inbound,
                        channel: ch,
                        author_id: None,
                        body: (if lang == Language::En {
                            sc.follow_en
                        } else {
                            sc.follow_fr
                        })
                        .to_string(),
                        attachments: vec![],
                        then_status: None,
                        at: Some(t),
                    });
                }
            }
            // Future timestamps would sort above live work; clamp to now.
            for f in &mut followups {
                if f.at.is_some_and(|a| a > now) {
                    f.at = Some(now);
                }
            }
            let priority = match rng.random_range(0..100) {
                0..=9 => Priority::Low,
                10..=84 => Priority::Normal,
                85..=96 => Priority::High,
                _ => Priority::Urgent,
            };
            let is_new_customer = matches!(customer, CustomerRef::New(_));
            batch.push((
                Import {
                    new: NewConversation {
                        customer,
                        subject: subject.to_string(),
                        channel,
                        direction: Direction::Inbound,
                        body: body.to_string(),
                        priority,
                        reason: Some(sc.reason.to_string()),
                        tags: sc.tags.iter().map(|s| s.to_string()).collect(),
                        team_id: team.map(|t| t.1),
                        assignee_id: if status == Status::New { None } else { advisor },
                        language: Some(lang),
                        attachments: vec![],
                        at: Some(start),
                    },
                    followups,
                    status: Some(status),
                },
                is_new_customer,
                lang,
                sc.reason,
            ));
            if batch.len() == 100 || i + 1 == per_brand[b] {
                let imports: Vec<Import> = batch.iter().map(|(imp, _, _, _)| imp.clone()).collect();
                let created = store.import_conversations(tenant.id, imports, None).await?;
                for (c, (_, new_customer, lang, reason)) in created.iter().zip(batch.iter()) {
                    if *new_customer {
                        customers.push((c.customer_id, *lang));
                    }
                    conversations[b].push(knowledge::DemoConversation {
                        id: c.id,
                        reason,
                        language: *lang,
                        advisor: c.assignee_id,
                        finished: matches!(c.status, Status::Resolved | Status::Closed),
                    });
                }
                pb.inc(batch.len() as u64);
                batch.clear();
            }
        }
    }
    pb.finish_and_clear();

    let pb = bar(tenants.len() as u64, "knowledge");
    for (b, tenant) in tenants.iter().enumerate() {
        let ctx = knowledge::BrandContext {
            slug: &tenant.slug,
            tenant_id: tenant.id,
            manager: knowledge_managers[b],
            advisors: roster[b].iter().map(|(_, id, _)| *id).collect(),
            conversations: std::mem::take(&mut conversations[b]),
        };
        knowledge::seed_brand(store, &ctx, &mut rng, now).await?;
        trees::seed_brand(store, &ctx, &mut rng, now).await?;
        forum::seed_brand(store, &ctx).await?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    store.optimize().await?;
    Ok(true)
}

/// Adds `count` synthetic conversations to the first demo brand, for load and
/// latency benchmarks at scale (1,000,000 for the inbox figure).
pub async fn scale(store: &Store, count: usize, progress: bool) -> anyhow::Result<()> {
    let tenant = store
        .tenant_by_slug("orbitel")
        .await
        .context("run `plateau demo` first")?;
    let pb = if progress {
        ProgressBar::new(count as u64)
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template("{msg:>14} {bar:40} {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message("conversations");
    let mut rng = StdRng::seed_from_u64(7);
    let now = Timestamp::now();
    let mut done = 0;
    while done < count {
        let n = (count - done).min(1000);
        let mut imports = Vec::with_capacity(n);
        for i in 0..n {
            let sc = &ORBITEL[rng.random_range(0..ORBITEL.len())];
            let k = done + i;
            let start = now.minus_seconds(rng.random_range(0..365 * 86_400));
            imports.push(Import {
                new: NewConversation {
                    customer: CustomerRef::New(NewCustomer {
                        name: format!(
                            "{} {}",
                            FIRST_FR[k % FIRST_FR.len()],
                            LAST_FR[(k / 7) % LAST_FR.len()]
                        ),
                        profile: CustomerProfile {
                            age_band: None,
                            tech_appetite: None,
                            value_tier: None,
                            contract_tier: ContractTier::Standard,
                            language: Language::Fr,
                            preferred_channel: None,
                        },
                        identities: vec![(IdentityKind::Email, format!("scale.{k}@example.net"))],
                    }),
                    subject: sc.fr.0.to_string(),
                    channel: Channel::ALL[k % Channel::ALL.len()],
                    direction: Direction::Inbound,
                    body: sc.fr.1.to_string(),
                    priority: Priority::Normal,
                    reason: Some(sc.reason.to_string()),
                    tags: vec![],
                    team_id: None,
                    assignee_id: None,
                    language: Some(Language::Fr),
                    attachments: vec![],
                    at: Some(start),
                },
                followups: vec![],
                status: Some(if rng.random::<f64>() < 0.95 {
                    Status::Closed
                } else {
                    Status::Open
                }),
            });
        }
        store.import_conversations(tenant.id, imports, None).await?;
        done += n;
        pb.inc(n as u64);
    }
    pb.finish_and_clear();
    store.optimize().await?;
    Ok(())
}
