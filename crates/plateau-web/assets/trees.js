// Plateau guided-tree editor: outline, node panel, drawing, validate and save.
// Hand-written, no dependencies. The tree JSON in memory is the only source of
// truth: every edit changes it, then the views are rebuilt from it. User text
// only ever reaches the page through textContent / attributes, never innerHTML.
// Shapes follow plateau_core::tree::model (docs/trees.md).

(() => {
  "use strict";

  const host = document.getElementById("tree-editor");
  if (!host) return;

  // ---- strings ---------------------------------------------------------------

  const STRINGS = {
    en: {
      outline: "Outline", treeView: "Tree view", outlineView: "Outline view", notLinked: "Not linked",
      untitled: "(untitled)", next: "next", rule: "rule {0}", otherwise: "otherwise", afterSubtree: "after the sub-tree",
      noLabel: "(no label)", noTarget: "(no target)", missingNode: "missing: {0}", refTo: "→ {0}",
      save: "Save", undo: "Undo", redo: "Redo", help: "Keyboard help", treeTitle: "Tree title",
      unsaved: "Unsaved changes", saved: "Saved", saving: "Saving…", upToDate: "No changes",
      readonly: "Read only", networkError: "Network error: the tree was not saved.",
      conflict: "Someone else saved this tree meanwhile. Your changes are kept here.",
      invalid: "The server refused the tree.", saveFailed: "Saving failed (HTTP {0}).",
      validateFailed: "Checking is unavailable for now.", badJson: "The tree could not be read; editing is disabled.",
      renamedDup: "Duplicate ids renamed: {0}",
      problems: "Problems", noProblems: "No problems found.", publishable: "Ready to publish.",
      notPublishable: "Not publishable yet.", errors: "{0} error(s)", warnings: "{0} warning(s)",
      error: "Error", warning: "Warning", treeLevel: "tree",
      noSelection: "Select a node in the outline.", nodePanel: "Selected node", nodeId: "Id", start: "Start node", makeStart: "Make it the start",
      del: "Delete", title: "Title", kind: "Kind", text: "Text (Markdown)", allowLoop: "Loops may pass through this node",
      kinds: { question: "Question", instruction: "Instruction", form: "Form", decision: "Decision", solution: "Solution",
        escalation: "Escalation", jump: "Jump to tree", end: "End" },
      answers: "Answers", answer: "Answer {0}", label: "Label", target: "Leads to", addAnswer: "Add an answer",
      newAnswer: "Answer {0}", choose: "— choose —", none: "(none)", newNodeOption: "+ new node",
      up: "Move up", down: "Move down", remove: "Remove",
      variants: "Variants by customer segment", variant: "Variant {0}", addVariant: "Add a variant",
      attrs: { age_band: "Age band", tech_appetite: "Tech appetite", value_tier: "Value tier",
        contract_tier: "Contract tier", language: "Language", channel: "Channel" },
      segmentHint: "Comma-separated; empty accepts anyone.",
      media: "Media", medium: "Media {0}", addMedia: "Add a media", mediaKind: "Type", source: "Source",
      url: "URL", blob: "Stored file key", alt: "Alternative text",
      mediaKinds: { image: "Image", audio: "Audio", video: "Video", link: "Link" },
      fields: "Fields", field: "Field {0}", addField: "Add a field", name: "Variable name", type: "Type",
      required: "Required", fieldHelp: "Help", maxLen: "Maximum length", min: "Minimum", max: "Maximum",
      integer: "Whole number", options: "Options", value: "Value", addOption: "Add an option",
      types: { text: "Text", number: "Number", boolean: "Yes / no", choice: "Choice", date: "Date", email: "Email", phone: "Phone" },
      rules: "Rules (first match wins)", ruleN: "Rule {0}", addRule: "Add a rule", conditions: "All of these hold",
      addCondition: "Add a condition", subject: "Reads", variable: "Form variable", customer: "Customer attribute",
      op: "Operator", valueJson: "Value (JSON)", valueHint: "\"60_74\" · 5 · [\"a\",\"b\"]", badJsonValue: "Not valid JSON: kept as text.",
      ops: { eq: "=", ne: "≠", lt: "<", le: "≤", gt: ">", ge: "≥", in: "is one of", not_in: "is none of",
        contains: "contains", is_set: "is set", is_not_set: "is not set" },
      otherwiseTo: "Otherwise", articleId: "Knowledge article id", openArticle: "Open the article",
      escTarget: "Hand over to", queue: "Queue", tier: "Tier", queueName: "Queue name", reason: "Reason for the next tier",
      tiers: { n1: "Level 1", n2: "Level 2", expert: "Expert" },
      treeRef: "Tree to run", returnTo: "Then come back to", outcome: "Outcome",
      outcomes: { resolved: "Resolved", escalated: "Escalated", unresolved: "Unresolved" },
      nextStep: "Next step",
      confirmDelete: "Delete “{0}”? Links to it are removed; nodes below it stay, under “Not linked”.",
      cannotDeleteRoot: "The start node cannot be deleted: make another node the start first.",
      noChildHere: "This kind of node cannot lead anywhere.", alreadyNext: "This node already has a next step.",
      noSibling: "Siblings can be added only under a question or a decision.",
      keys: [["↑ / ↓", "Move in the outline"], ["← / →", "Collapse or expand, go to parent or first child"],
        ["Enter", "Add a child (a new answer on a question)"], ["Shift+Enter", "Add a sibling answer"],
        ["F2 / typing", "Rename the node"], ["Delete", "Delete the node (or the link, on a reference)"],
        ["Alt+↑ / Alt+↓", "Reorder answers or rules"], ["Ctrl+S", "Save"], ["Ctrl+Z / Ctrl+Shift+Z", "Undo / redo"],
        ["?", "Show or hide this help"]],
    },
    fr: {
      outline: "Plan", treeView: "Vue en arbre", outlineView: "Vue en plan", notLinked: "Non reliés",
      untitled: "(sans titre)", next: "suite", rule: "règle {0}", otherwise: "sinon", afterSubtree: "après le sous-arbre",
      noLabel: "(sans libellé)", noTarget: "(aucune cible)", missingNode: "introuvable : {0}", refTo: "→ {0}",
      save: "Enregistrer", undo: "Annuler", redo: "Rétablir", help: "Aide clavier", treeTitle: "Titre de l’arbre",
      unsaved: "Modifications non enregistrées", saved: "Enregistré", saving: "Enregistrement…", upToDate: "Aucune modification",
      readonly: "Lecture seule", networkError: "Erreur réseau : l’arbre n’a pas été enregistré.",
      conflict: "Quelqu’un d’autre a enregistré cet arbre entre-temps. Vos modifications sont conservées ici.",
      invalid: "Le serveur a refusé l’arbre.", saveFailed: "Échec de l’enregistrement (HTTP {0}).",
      validateFailed: "La vérification est indisponible pour le moment.", badJson: "L’arbre est illisible ; la modification est désactivée.",
      renamedDup: "Identifiants en double renommés : {0}",
      problems: "Problèmes", noProblems: "Aucun problème détecté.", publishable: "Prêt à publier.",
      notPublishable: "Pas encore publiable.", errors: "{0} erreur(s)", warnings: "{0} avertissement(s)",
      error: "Erreur", warning: "Avertissement", treeLevel: "arbre",
      noSelection: "Sélectionnez un nœud dans le plan.", nodePanel: "Nœud sélectionné", nodeId: "Identifiant", start: "Nœud de départ", makeStart: "En faire le départ",
      del: "Supprimer", title: "Titre", kind: "Type de nœud", text: "Texte (Markdown)", allowLoop: "Les boucles peuvent passer par ce nœud",
      kinds: { question: "Question", instruction: "Consigne", form: "Formulaire", decision: "Décision", solution: "Solution",
        escalation: "Escalade", jump: "Renvoi vers un arbre", end: "Fin" },
      answers: "Réponses", answer: "Réponse {0}", label: "Libellé", target: "Mène à", addAnswer: "Ajouter une réponse",
      newAnswer: "Réponse {0}", choose: "— choisir —", none: "(aucun)", newNodeOption: "+ nouveau nœud",
      up: "Monter", down: "Descendre", remove: "Retirer",
      variants: "Variantes par segment de clientèle", variant: "Variante {0}", addVariant: "Ajouter une variante",
      attrs: { age_band: "Tranche d’âge", tech_appetite: "Aisance numérique", value_tier: "Niveau de valeur",
        contract_tier: "Niveau de contrat", language: "Langue", channel: "Canal" },
      segmentHint: "Valeurs séparées par des virgules ; vide accepte tout le monde.",
      media: "Médias", medium: "Média {0}", addMedia: "Ajouter un média", mediaKind: "Type", source: "Source",
      url: "URL", blob: "Clé du fichier stocké", alt: "Texte alternatif",
      mediaKinds: { image: "Image", audio: "Audio", video: "Vidéo", link: "Lien" },
      fields: "Champs", field: "Champ {0}", addField: "Ajouter un champ", name: "Nom de variable", type: "Type",
      required: "Obligatoire", fieldHelp: "Aide", maxLen: "Longueur maximale", min: "Minimum", max: "Maximum",
      integer: "Nombre entier", options: "Options", value: "Valeur", addOption: "Ajouter une option",
      types: { text: "Texte", number: "Nombre", boolean: "Oui / non", choice: "Choix", date: "Date", email: "E-mail", phone: "Téléphone" },
      rules: "Règles (la première qui s’applique l’emporte)", ruleN: "Règle {0}", addRule: "Ajouter une règle",
      conditions: "Toutes ces conditions sont vraies", addCondition: "Ajouter une condition", subject: "Lit",
      variable: "Variable de formulaire", customer: "Attribut client", op: "Opérateur", valueJson: "Valeur (JSON)",
      valueHint: "\"60_74\" · 5 · [\"a\",\"b\"]", badJsonValue: "JSON invalide : conservé comme texte.",
      ops: { eq: "=", ne: "≠", lt: "<", le: "≤", gt: ">", ge: "≥", in: "fait partie de", not_in: "ne fait pas partie de",
        contains: "contient", is_set: "est renseigné", is_not_set: "n’est pas renseigné" },
      otherwiseTo: "Sinon", articleId: "Identifiant de l’article", openArticle: "Ouvrir l’article",
      escTarget: "Transférer à", queue: "File", tier: "Niveau", queueName: "Nom de la file", reason: "Motif pour le niveau suivant",
      tiers: { n1: "Niveau 1", n2: "Niveau 2", expert: "Expert" },
      treeRef: "Arbre à exécuter", returnTo: "Puis revenir à", outcome: "Issue",
      outcomes: { resolved: "Résolu", escalated: "Escaladé", unresolved: "Non résolu" },
      nextStep: "Étape suivante",
      confirmDelete: "Supprimer « {0} » ? Les liens vers ce nœud sont retirés ; les nœuds en dessous restent, sous « Non reliés ».",
      cannotDeleteRoot: "Le nœud de départ ne peut pas être supprimé : choisissez d’abord un autre départ.",
      noChildHere: "Ce type de nœud ne mène nulle part.", alreadyNext: "Ce nœud a déjà une étape suivante.",
      noSibling: "On ne peut ajouter un voisin que sous une question ou une décision.",
      keys: [["↑ / ↓", "Se déplacer dans le plan"], ["← / →", "Replier ou déplier, aller au parent ou au premier enfant"],
        ["Entrée", "Ajouter un enfant (une nouvelle réponse sur une question)"], ["Maj+Entrée", "Ajouter une réponse voisine"],
        ["F2 / saisie", "Renommer le nœud"], ["Suppr", "Supprimer le nœud (ou le lien, sur un renvoi)"],
        ["Alt+↑ / Alt+↓", "Réordonner réponses ou règles"], ["Ctrl+S", "Enregistrer"], ["Ctrl+Z / Ctrl+Maj+Z", "Annuler / rétablir"],
        ["?", "Afficher ou masquer cette aide"]],
    },
  };
  const L = STRINGS[(document.documentElement.lang || "en").toLowerCase().startsWith("fr") ? "fr" : "en"];
  const t = (key, ...args) => String(L[key] ?? key).replace(/\{(\d)\}/g, (_, i) => args[i] ?? "");

  // ---- model vocabulary (plateau_core::tree::model, crate::model enums) --------

  const KINDS = ["question", "instruction", "form", "decision", "solution", "escalation", "jump", "end"];
  const ATTRS = {
    age_band: ["under_25", "25_39", "40_59", "60_74", "75_plus"],
    tech_appetite: ["low", "medium", "high"],
    value_tier: ["bronze", "silver", "gold", "platinum"],
    contract_tier: ["standard", "pro", "expert"],
    language: ["fr", "en"],
    channel: ["email", "phone", "chat", "social", "letter"],
  };
  const OPS = ["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "is_set", "is_not_set"];
  const FIELD_TYPES = ["text", "number", "boolean", "choice", "date", "email", "phone"];
  const MEDIA_KINDS = ["image", "audio", "video", "link"];
  const TIERS = ["n1", "n2", "expert"];
  const OUTCOMES = ["resolved", "escalated", "unresolved"];
  const LAZY_OPTIONS = 400; // above this many nodes, target selects fill in on first use
  const NEW = "\uE000new"; // select value meaning "create a node": a private-use character no real id carries

  // ---- page contract -----------------------------------------------------------

  const validateUrl = host.dataset.validateUrl || "";
  const saveUrl = host.dataset.saveUrl || "";
  const articlesUrl = host.dataset.articlesUrl || "";
  const csrf = host.dataset.csrf || "";
  let revision = Number(host.dataset.revision || 0);
  let readonly = host.dataset.readonly === "true";

  let tree;
  let loadNote = "";
  try {
    tree = JSON.parse(document.getElementById("tree-json").textContent);
    if (!tree || !Array.isArray(tree.nodes)) throw new Error("no nodes");
  } catch (_) {
    tree = { title: "", root: "", nodes: [] };
    readonly = true;
    loadNote = t("badJson");
  }
  normalise();

  // Content is defaulted so panels can write into it; serde reads both shapes alike.
  // Duplicate ids are renamed: the editor addresses nodes by id, and the server's
  // lookups already use the first occurrence, so edges keep their meaning.
  function normalise() {
    const seen = new Set();
    const renamed = [];
    for (const n of tree.nodes) {
      if (!n.content || typeof n.content !== "object") n.content = { text: "" };
      if (typeof n.content.text !== "string") n.content.text = "";
      if (typeof n.title !== "string") n.title = "";
      if (seen.has(n.id) && !readonly) {
        const fresh = freshId();
        renamed.push(`${n.id} → ${fresh}`);
        n.id = fresh;
      }
      seen.add(n.id);
    }
    if (typeof tree.title !== "string") tree.title = "";
    if (renamed.length) loadNote = t("renamedDup", renamed.join(", "));
  }

  // ---- state -------------------------------------------------------------------

  let savedJson = loadNote && !readonly && loadNote !== t("badJson") ? "" : JSON.stringify(tree);
  let selected = nodeById(tree.root) ? tree.root : (tree.nodes[0] || {}).id || null;
  let activeKey = selected ? "n:" + selected : null; // the outline row holding the roving tab stop
  const collapsed = new Set();
  let past = [];
  let future = [];
  let lastCoalesce = null;
  let lastChangeAt = 0;
  let problems = [];
  let publishable = null;
  let saving = false;
  let saveError = null; // {text, list}
  let justSaved = false;
  let renaming = null; // node id being renamed inline in the outline
  let showView = false;
  let lay = null; // last layout, for keyboard moves
  let treeGen = 0; // bumped on every change, so caches know when they are stale
  let viewStale = true; // the drawing needs a full redraw (not just a new selection)

  // ---- small DOM helpers ------------------------------------------------------

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of kids.flat()) if (c != null && c !== false) el.append(c);
    return el;
  }
  const SVGNS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
    for (const c of kids) if (c != null) el.append(c);
    return el;
  }
  function select(key, options, value, onChange, attrs = {}) {
    const el = h("select", { "data-key": key, ...attrs });
    for (const [v, label] of options) {
      const o = h("option", { text: label });
      o.value = v;
      el.append(o);
    }
    el.value = value ?? "";
    el.addEventListener("change", () => onChange(el.value));
    return el;
  }
  function input(key, value, onInput, attrs = {}) {
    const el = h("input", { type: "text", "data-key": key, ...attrs });
    el.value = value ?? "";
    el.addEventListener("input", () => onInput(el.value, el));
    return el;
  }
  function checkbox(key, checked, onChange, attrs = {}) {
    const el = h("input", { type: "checkbox", "data-key": key, ...attrs });
    el.checked = !!checked;
    el.addEventListener("change", () => onChange(el.checked));
    return el;
  }
  const labelled = (text, control, cls) => h("label", { class: cls }, h("span", { class: "lbl", text }), control);
  const check = (text, control) => h("label", { class: "check" }, control, " ", text);
  const button = (text, onclick, attrs = {}) => h("button", { type: "button", onclick, ...attrs }, text);

  // ---- model helpers ----------------------------------------------------------

  function nodeById(id) { return tree.nodes.find((n) => n.id === id) || null; }
  function nodeName(n) { return n.title || firstLine(n.content && n.content.text) || t("untitled"); }
  function firstLine(text) { return (text || "").split("\n").find((l) => l.trim()) || ""; }
  function freshId() {
    let max = 0;
    for (const n of tree.nodes) { const m = /^n(\d+)$/.exec(n.id); if (m) max = Math.max(max, Number(m[1])); }
    let id = "n" + (max + 1);
    while (nodeById(id)) id = "n" + (++max + 1);
    return id;
  }
  function newNode() {
    // A new node is a solution: a leaf that is valid as it stands, as in a hand-made mind map.
    const id = freshId();
    tree.nodes.push({ id, title: "", content: { text: "" }, kind: "solution" });
    return id;
  }

  // Outgoing edges in the order of NodeKind::edges, plus the mandatory ones still
  // empty (an instruction's next, a decision's default) so the outline shows the gap.
  function edges(n) {
    switch (n.kind) {
      case "question": return (n.answers || []).map((a, i) => ({ key: "answers", i, target: a.target, label: a.label || t("noLabel") }));
      case "instruction": case "form": return [{ key: "next", target: n.next, label: t("next") }];
      case "decision": return (n.rules || []).map((r, i) => ({ key: "rules", i, target: r.target, label: t("rule", i + 1) }))
        .concat([{ key: "default", target: n.default, label: t("otherwise") }]);
      case "solution": return n.next != null ? [{ key: "next", target: n.next, label: t("next") }] : [];
      case "jump": return n.return_to != null ? [{ key: "return_to", target: n.return_to, label: t("afterSubtree") }] : [];
      default: return [];
    }
  }
  const edgeKey = (from, e) => `${from}:${e.key}${e.i != null ? "[" + e.i + "]" : ""}`;

  function removeEdge(n, e) {
    if (e.key === "answers") n.answers.splice(e.i, 1);
    else if (e.key === "rules") n.rules.splice(e.i, 1);
    else if (e.key === "default") n.default = null;
    else if (e.key === "next") { if (n.kind === "solution") delete n.next; else n.next = ""; }
    else if (e.key === "return_to") delete n.return_to;
  }

  // Switching kind keeps id, title, content and the loop flag; the kind's own fields start over.
  function setKind(n, kind) {
    for (const k of Object.keys(n)) if (!["id", "title", "content", "allow_loop"].includes(k)) delete n[k];
    n.kind = kind;
    switch (kind) {
      case "question": n.answers = []; break;
      case "instruction": n.next = ""; break;
      case "form": n.fields = []; n.next = ""; break;
      case "decision": n.rules = []; n.default = null; break;
      case "escalation": n.target = { tier: "n1" }; n.reason = ""; break;
      case "jump": n.tree_ref = ""; break;
      case "end": n.outcome = "resolved"; break;
    }
  }

  // "Add an answer" creates a blank node; if the person points the answer at an
  // existing node instead, that blank one would only clutter "Not linked".
  function dropIfUntouched(id) {
    const n = id && nodeById(id);
    if (!n || id === tree.root || n.kind !== "solution" || n.title || n.content.text || n.article_id || n.next
      || (n.content.variants || []).length || (n.content.media || []).length) return;
    if (tree.nodes.some((m) => edges(m).some((e) => e.target === id))) return;
    tree.nodes = tree.nodes.filter((m) => m !== n);
  }

  function deleteNode(id) {
    tree.nodes = tree.nodes.filter((n) => n.id !== id);
    for (const n of tree.nodes) {
      // Walk backwards so splicing keeps the remaining indexes right.
      for (const e of edges(n).reverse()) if (e.target === id) removeEdge(n, e);
    }
  }

  // ---- edits, history, dirty state --------------------------------------------

  // Every edit goes through here: one snapshot per edit, except that a burst of
  // typing in one box is a single undo step.
  function change(mutate, opts = {}) {
    if (readonly) return;
    const before = JSON.stringify(tree);
    const now = Date.now();
    const tag = opts.coalesce ? opts.coalesce + "|" + selected : null;
    const merge = tag && tag === lastCoalesce && now - lastChangeAt < 1500;
    mutate();
    const after = JSON.stringify(tree);
    if (after === before) return;
    if (!merge) { past.push(before); if (past.length > 300) past.shift(); }
    future = [];
    treeGen++;
    viewStale = true;
    lastCoalesce = tag;
    lastChangeAt = now;
    justSaved = false;
    if (opts.panel === false) scheduleRender(); else renderAll();
    updateStatus();
    scheduleValidate();
  }

  function restore(json) {
    tree = JSON.parse(json);
    treeGen++;
    viewStale = true;
    lastCoalesce = null;
    justSaved = false;
    if (!nodeById(selected)) selected = nodeById(tree.root) ? tree.root : (tree.nodes[0] || {}).id || null;
    renderAll();
    updateStatus();
    scheduleValidate();
  }
  function undo() { if (readonly || !past.length) return; future.push(JSON.stringify(tree)); restore(past.pop()); }
  function redo() { if (readonly || !future.length) return; past.push(JSON.stringify(tree)); restore(future.pop()); }
  const dirty = () => JSON.stringify(tree) !== savedJson;

  // ---- skeleton ----------------------------------------------------------------

  const titleInput = input("tree-title", tree.title, (v) => change(() => { tree.title = v; }, { coalesce: "tree-title", panel: false }),
    { id: "tree-title", "aria-label": t("treeTitle"), placeholder: t("treeTitle") });
  const saveBtn = button(t("save"), () => save(), { id: "tree-save", class: "primary" });
  const undoBtn = button(t("undo"), undo, { id: "tree-undo", title: "Ctrl+Z" });
  const redoBtn = button(t("redo"), redo, { id: "tree-redo", title: "Ctrl+Shift+Z" });
  const helpBtn = button("?", () => toggleHelp(), { id: "tree-help-toggle", "aria-label": t("help"), "aria-expanded": "false", "aria-controls": "tree-help" });
  const status = h("span", { id: "tree-status", class: "tree-status", role: "status", "aria-live": "polite" });
  const saveErrors = h("ul", { class: "tree-save-errors", id: "tree-save-errors" });
  const help = h("div", { id: "tree-help", class: "tree-help", hidden: true },
    h("h2", { text: t("help") }),
    h("dl", {}, L.keys.map(([k, d]) => [h("dt", {}, h("kbd", { text: k })), h("dd", { text: d })])));
  const viewToggle = button(t("treeView"), () => { showView = !showView; renderAll(); }, { id: "tree-view-toggle", "aria-pressed": "false" });
  const outline = h("ul", { class: "tree-outline", role: "tree", "aria-label": t("outline") });
  const view = h("div", { class: "tree-view", hidden: true });
  const problemsHead = h("p", { class: "tree-problems-summary" });
  const problemsList = h("ul", { class: "tree-problems-list" });
  const problemsBox = h("section", { class: "tree-problems", "aria-label": t("problems") }, h("h2", { text: t("problems") }), problemsHead, problemsList);
  const panel = h("section", { class: "tree-panel", id: "tree-panel", "aria-label": t("nodePanel") });

  host.classList.add("tree-editor");
  if (readonly) host.classList.add("is-readonly");
  host.replaceChildren(
    h("div", { class: "tree-toolbar", role: "toolbar", "aria-label": t("outline") }, titleInput, saveBtn, undoBtn, redoBtn, viewToggle, helpBtn, status),
    saveErrors, help,
    h("div", { class: "tree-main" }, h("div", { class: "tree-left" }, outline, view, problemsBox), panel),
  );
  if (readonly) { titleInput.disabled = true; saveBtn.disabled = true; }

  function toggleHelp(force) {
    const open = force ?? help.hidden;
    help.hidden = !open;
    helpBtn.setAttribute("aria-expanded", String(open));
  }

  // ---- layout: the outline of the graph ---------------------------------------

  // Breadth-first from the root, as the mind-map export does: each node sits under
  // the first edge that reaches it (keeping the outline shallow); other edges to it
  // are references. Whatever the root does not reach is laid out the same way from
  // each remaining node, in list order, under "Not linked".
  function layout() {
    const ids = new Set(tree.nodes.map((n) => n.id));
    const placed = new Set();
    const children = new Map();
    const parent = new Map();
    const place = (start) => {
      placed.add(start);
      const queue = [start];
      for (let q = 0; q < queue.length; q++) {
        const id = queue[q];
        const list = [];
        for (const e of edges(byId.get(id))) {
          let type = "ref";
          if (!e.target || !ids.has(e.target)) type = "missing";
          else if (!placed.has(e.target)) { type = "node"; placed.add(e.target); parent.set(e.target, id); queue.push(e.target); }
          list.push({ ...e, from: id, type });
        }
        children.set(id, list);
      }
    };
    if (ids.has(tree.root)) place(tree.root);
    const orphans = [];
    for (const n of tree.nodes) if (!placed.has(n.id)) { orphans.push(n.id); place(n.id); }
    return { children, parent, orphans };
  }
  // nodeById is linear; layouts of big trees look ids up through a map instead.
  let byId = new Map();
  const refreshIndex = () => { byId = new Map(); for (const n of tree.nodes) if (!byId.has(n.id)) byId.set(n.id, n); };

  // Flattened visible rows: the ARIA tree is a flat list with aria-level, which
  // keeps deep trees cheap and the keyboard logic index-based.
  function flatten() {
    const rows = [];
    // Explicit stack: a long chain of "next" must not exhaust the call stack.
    // Entries are subtrees to open or single rows (references, gaps) to emit.
    const walk = (start, level, parentRow) => {
      const stack = [{ id: start, level, edge: null, parentRow }];
      while (stack.length) {
        const it = stack.pop();
        if (it.row) { rows.push(it.row); continue; }
        const key = "n:" + it.id;
        const kids = lay.children.get(it.id) || [];
        const row = { key, type: "node", id: it.id, level: it.level, edge: it.edge, parent: it.parentRow, hasKids: kids.length > 0 };
        row.expanded = row.hasKids && !collapsed.has(key);
        const idx = rows.push(row) - 1;
        if (!row.expanded) continue;
        for (let i = kids.length - 1; i >= 0; i--) {
          const c = kids[i];
          if (c.type === "node") stack.push({ id: c.target, level: it.level + 1, edge: c, parentRow: idx });
          else stack.push({ row: { key: (c.type === "ref" ? "r:" : "m:") + edgeKey(it.id, c), type: c.type, id: c.target, level: it.level + 1, edge: c, parent: idx } });
        }
      }
    };
    if (byId.has(tree.root)) walk(tree.root, 1, -1);
    if (lay.orphans.length) {
      const key = "g:orphans";
      const g = { key, type: "group", level: 1, parent: -1, hasKids: true, expanded: !collapsed.has(key) };
      const gi = rows.push(g) - 1;
      if (g.expanded) for (const id of lay.orphans) walk(id, 2, gi);
    }
    return rows;
  }

  // ---- outline -------------------------------------------------------------------

  let rows = [];
  const problemsByNode = () => {
    const m = new Map();
    for (const p of problems) if (p.node) {
      const cur = m.get(p.node) || { error: 0, warning: 0 };
      cur[p.severity === "error" ? "error" : "warning"]++;
      m.set(p.node, cur);
    }
    return m;
  };

  // Rows are rebuilt only when what they show changed (a signature per row key),
  // and the list is patched in place: on a big tree a full rebuild made every
  // arrow key re-lay out thousands of rows.
  const rowCache = new Map();
  function renderOutline(focus) {
    refreshIndex();
    lay = layout();
    rows = flatten();
    if (!rows.some((r) => r.key === activeKey)) activeKey = selected && rows.some((r) => r.key === "n:" + selected) ? "n:" + selected : (rows[0] || {}).key;
    const marks = problemsByNode();
    const sizes = new Map();
    for (const r of rows) sizes.set(r.parent, (sizes.get(r.parent) || 0) + 1);
    const pos = new Map();
    const keep = new Set();
    const want = rows.map((r) => {
      pos.set(r.parent, (pos.get(r.parent) || 0) + 1);
      const n = r.id != null ? byId.get(r.id) : null;
      const m = r.type === "node" ? marks.get(r.id) : null;
      const sig = JSON.stringify([r.type, r.id, r.level, r.edge && r.edge.label, r.hasKids, r.expanded, n && n.title, n && nodeName(n), n && n.kind,
        r.id === tree.root, m, r.key === activeKey, r.id === selected, renaming === r.id, sizes.get(r.parent), pos.get(r.parent),
        r.type === "group" ? lay.orphans.length : 0]);
      keep.add(r.key);
      let c = rowCache.get(r.key);
      if (!c || c.sig !== sig) { c = { sig, el: buildRow(r, n, m, sizes.get(r.parent), pos.get(r.parent)) }; rowCache.set(r.key, c); }
      return c.el;
    });
    for (const k of rowCache.keys()) if (!keep.has(k)) rowCache.delete(k);
    // Drop stale rows first: left in place, each would push every later row to move.
    const wanted = new Set(want);
    for (const el of Array.from(outline.children)) if (!wanted.has(el)) el.remove();
    let cur = outline.firstChild;
    for (const el of want) {
      if (cur === el) { cur = cur.nextSibling; continue; }
      outline.insertBefore(el, cur);
    }
    while (cur) { const next = cur.nextSibling; cur.remove(); cur = next; }
    if (focus) focusActive();
  }

  function buildRow(r, n, m, size, posinset) {
    const li = h("li", {
      role: "treeitem", class: `tree-row row-${r.type}` + (n ? " kind-" + n.kind : ""), "data-key": r.key,
      "aria-level": r.level, "aria-setsize": size, "aria-posinset": posinset,
      tabindex: r.key === activeKey ? "0" : "-1",
      "aria-selected": r.type === "node" && r.id === selected ? "true" : "false",
    });
    li.style.setProperty("--level", r.level);
    if (r.hasKids) li.setAttribute("aria-expanded", String(r.expanded));
    li.append(h("span", { class: "twisty", "aria-hidden": "true", text: r.hasKids ? (r.expanded ? "▾" : "▸") : "" }));
    if (r.edge) li.append(h("span", { class: "edge-label", text: r.edge.label }));
    if (r.type === "node") {
      li.dataset.node = r.id;
      if (renaming === r.id) li.append(renameBox(n));
      else li.append(h("span", { class: "row-title" + (n.title ? "" : " untitled"), text: nodeName(n) }));
      li.append(h("span", { class: "kind-badge", text: L.kinds[n.kind] || n.kind }));
      if (r.id === tree.root) li.append(h("span", { class: "root-badge", text: t("start") }));
      if (m) {
        li.classList.add(m.error ? "has-error" : "has-warning");
        const words = [m.error ? t("errors", m.error) : "", m.warning ? t("warnings", m.warning) : ""].filter(Boolean).join(", ");
        li.append(h("span", { class: "problem-mark", title: words, text: "!" }, h("span", { class: "visually-hidden", text: " " + words })));
      }
    } else if (r.type === "ref") {
      li.dataset.ref = r.id;
      li.append(h("span", { class: "row-title", text: t("refTo", nodeName(byId.get(r.id))) }));
    } else if (r.type === "missing") {
      li.append(h("span", { class: "row-title", text: r.id ? t("missingNode", r.id) : t("noTarget") }));
    } else {
      li.append(h("span", { class: "row-title", text: `${t("notLinked")} (${lay.orphans.length})` }));
    }
    return li;
  }

  function rowEl(key) { const c = rowCache.get(key); return c && c.el.isConnected ? c.el : null; }
  function focusActive() {
    const el = rowEl(activeKey);
    if (!el) return;
    if (renaming) { const box = el.querySelector("input"); if (box) { box.focus(); return; } }
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }

  function renameBox(n) {
    const box = h("input", { type: "text", class: "tree-rename", "aria-label": t("title") });
    box.value = n.title;
    let done = false;
    const finish = (keep) => {
      if (done) return;
      done = true;
      const v = box.value;
      renaming = null;
      if (keep && v !== n.title) change(() => { n.title = v; }, { focus: true });
      else renderAll();
      focusActive();
    };
    box.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Enter") { e.preventDefault(); finish(true); }
      else if (e.key === "Escape") { e.preventDefault(); finish(false); }
    });
    box.addEventListener("blur", () => finish(true));
    return box;
  }

  function startRename(id, initial) {
    if (readonly || !byId.has(id)) return;
    renaming = id;
    activeKey = "n:" + id;
    renderOutline();
    const box = rowEl(activeKey).querySelector("input");
    if (initial != null) box.value = initial;
    box.focus();
    if (initial == null) box.select();
  }

  // Makes a node's row visible: expands every row above it.
  function reveal(id) {
    if (!lay) return;
    let p = lay.parent.get(id);
    let top = id;
    while (p != null) { collapsed.delete("n:" + p); top = p; p = lay.parent.get(p); }
    if (top !== tree.root) collapsed.delete("g:orphans");
  }

  function selectNode(id, focus) {
    if (!id) return;
    selected = id;
    activeKey = "n:" + id;
    reveal(id);
    renderAll();
    if (focus) focusActive();
  }

  const rowIndex = (key) => rows.findIndex((r) => r.key === key);
  function moveTo(i) {
    if (!rows.length) return;
    const r = rows[Math.max(0, Math.min(rows.length - 1, i))];
    activeKey = r.key;
    if (r.type === "node") { selected = r.id; renderAll(); } else renderOutline();
    focusActive();
  }

  outline.addEventListener("click", (e) => {
    const li = e.target.closest("[role=treeitem]");
    if (!li || e.target.closest("input")) return;
    const r = rows[rowIndex(li.dataset.key)];
    if (!r) return;
    if (e.target.closest(".twisty") && r.hasKids) { toggle(r); return; }
    activate(r, false);
  });
  // Focus can arrive by Tab or by a click on a row: the roving tab stop follows
  // it, or a later re-render would pull focus back to the previous row.
  outline.addEventListener("focusin", (e) => {
    const li = e.target.closest("[role=treeitem]");
    if (!li || li.dataset.key === activeKey) return;
    const old = rowEl(activeKey);
    if (old) old.tabIndex = -1;
    li.tabIndex = 0;
    activeKey = li.dataset.key;
  });
  outline.addEventListener("dblclick", (e) => {
    const li = e.target.closest("[role=treeitem][data-node]");
    if (li && !e.target.closest("input")) startRename(li.dataset.node);
  });

  function toggle(r) {
    if (r.expanded) collapsed.add(r.key); else collapsed.delete(r.key);
    activeKey = r.key;
    renderOutline(true);
  }
  // Click or Enter on a reference goes to the original; on a gap, to the node owning it.
  function activate(r, viaKeyboard) {
    if (r.type === "node") { selectNode(r.id, true); return; }
    if (r.type === "ref") { selectNode(r.id, true); return; }
    if (r.type === "missing") {
      if (viaKeyboard && !readonly) { fillGap(r); return; }
      selectNode(r.edge.from, true);
      return;
    }
    toggle(r);
  }
  function fillGap(r) {
    let id;
    change(() => {
      id = newNode();
      const n = byId.get(r.edge.from) || nodeById(r.edge.from);
      setEdge(n, r.edge, id);
    });
    selectNode(id);
    startRename(id);
  }
  function setEdge(n, e, id) {
    if (e.key === "answers") n.answers[e.i].target = id;
    else if (e.key === "rules") n.rules[e.i].target = id;
    else n[e.key] = id;
  }

  // Enter: grow the tree from this node, then rename the new node straight away.
  function addChild(n) {
    let id = null;
    let note = "";
    change(() => {
      if (n.kind === "question") { id = newNode(); n.answers.push({ label: t("newAnswer", n.answers.length + 1), target: id }); }
      else if (n.kind === "decision") { id = newNode(); n.rules.push({ when: [], target: id }); }
      else if (["instruction", "form", "solution"].includes(n.kind)) {
        if (n.next && nodeById(n.next)) note = t("alreadyNext"); else { id = newNode(); n.next = id; }
      } else if (n.kind === "jump") {
        if (n.return_to && nodeById(n.return_to)) note = t("alreadyNext"); else { id = newNode(); n.return_to = id; }
      } else note = t("noChildHere");
    });
    if (note) { flash(note); return; }
    collapsed.delete("n:" + n.id);
    selectNode(id);
    startRename(id);
  }
  // Shift+Enter: a new answer (or rule) on the parent, right after this one.
  function addSibling(r) {
    const e = r.edge;
    const p = e && nodeById(e.from);
    if (!p || !["answers", "rules"].includes(e.key)) { flash(t("noSibling")); return; }
    let id;
    change(() => {
      id = newNode();
      if (e.key === "answers") p.answers.splice(e.i + 1, 0, { label: t("newAnswer", p.answers.length + 1), target: id });
      else p.rules.splice(e.i + 1, 0, { when: [], target: id });
    });
    selectNode(id);
    startRename(id);
  }
  function reorder(r, delta) {
    const e = r.edge;
    const p = e && nodeById(e.from);
    if (!p || !["answers", "rules"].includes(e.key)) return;
    const list = p[e.key];
    const j = e.i + delta;
    if (j < 0 || j >= list.length) return;
    change(() => { [list[e.i], list[j]] = [list[j], list[e.i]]; });
    if (r.type !== "node") activeKey = r.key.slice(0, 2) + edgeKey(p.id, { key: e.key, i: j });
    renderOutline(true);
  }
  function removeRow(r) {
    if (r.type === "node") {
      if (r.id === tree.root) { flash(t("cannotDeleteRoot")); return; }
      if (!window.confirm(t("confirmDelete", nodeName(byId.get(r.id))))) return;
      const i = rowIndex(r.key);
      const parentRow = rows[r.parent];
      change(() => deleteNode(r.id));
      const next = parentRow && parentRow.type === "node" ? parentRow.id : (rows[Math.max(0, i - 1)] || {}).id;
      selectNode(nodeById(next) ? next : tree.root, true);
    } else if (r.type === "ref" || r.type === "missing") {
      const p = nodeById(r.edge.from);
      change(() => removeEdge(p, r.edge));
      selectNode(p.id, true);
    }
  }

  outline.addEventListener("keydown", (e) => {
    const li = e.target.closest("[role=treeitem]");
    if (!li || e.target !== li) return;
    const i = rowIndex(li.dataset.key);
    const r = rows[i];
    if (!r) return;
    const edit = !readonly;
    let handled = true;
    if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) { if (edit) reorder(r, e.key === "ArrowUp" ? -1 : 1); }
    else if (e.ctrlKey || e.metaKey || e.altKey) handled = false;
    else if (e.key === "ArrowDown") moveTo(i + 1);
    else if (e.key === "ArrowUp") moveTo(i - 1);
    else if (e.key === "Home") moveTo(0);
    else if (e.key === "End") moveTo(rows.length - 1);
    else if (e.key === "ArrowRight") { if (r.hasKids && !r.expanded) toggle(r); else if (r.expanded) moveTo(i + 1); }
    else if (e.key === "ArrowLeft") { if (r.expanded) toggle(r); else if (r.parent >= 0) moveTo(r.parent); }
    else if (e.key === "Enter" && e.shiftKey) { if (edit && r.type === "node") addSibling(r); }
    else if (e.key === "Enter") {
      if (r.type === "node" && edit) addChild(byId.get(r.id));
      else activate(r, true);
    }
    else if (e.key === " ") activate(r, false);
    else if (e.key === "F2") { if (r.type === "node") startRename(r.id); }
    else if (e.key === "Delete") { if (edit) removeRow(r); }
    else if (e.key.length === 1 && e.key !== "?" && r.type === "node" && edit) startRename(r.id, e.key);
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  });

  // ---- tree view (SVG) -------------------------------------------------------------

  // Same spanning tree as the outline, drawn left to right: leaves take successive
  // rows, a parent sits level with the middle of its children; other edges are dashed.
  function renderView() {
    view.hidden = !showView;
    outline.hidden = showView;
    viewToggle.setAttribute("aria-pressed", String(showView));
    viewToggle.textContent = showView ? t("outlineView") : t("treeView");
    if (!showView) { view.replaceChildren(); viewStale = true; return; }
    // Moving the selection only restyles boxes; drawing thousands again is slow.
    if (!viewStale) { markView(); return; }
    viewStale = false;
    const W = 170, H = 42, GX = 90, GY = 14, PAD = 16;
    const at = new Map();
    let row = 0;
    let maxDepth = 0;
    const placeFrom = (start) => {
      // Post-order without recursion: children are positioned before their parent.
      const stack = [[start, 0, false]];
      while (stack.length) {
        const [id, depth, seen] = stack.pop();
        const kids = (lay.children.get(id) || []).filter((c) => c.type === "node").map((c) => c.target);
        if (!seen && kids.length) {
          stack.push([id, depth, true]);
          for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k], depth + 1, false]);
          continue;
        }
        maxDepth = Math.max(maxDepth, depth);
        const y = kids.length ? (at.get(kids[0]).y + at.get(kids[kids.length - 1]).y) / 2 : row++ * (H + GY);
        at.set(id, { x: depth * (W + GX), y });
      }
    };
    if (byId.has(tree.root)) placeFrom(tree.root);
    let orphanTop = null;
    if (lay.orphans.length) { row += 1; orphanTop = row * (H + GY); row += 0.6; for (const id of lay.orphans) placeFrom(id); }
    const width = (maxDepth + 1) * (W + GX) + PAD * 2;
    const height = Math.max(row, 1) * (H + GY) + PAD * 2;
    const svg = s("svg", { width, height, viewBox: `${-PAD} ${-PAD} ${width} ${height}`, role: "group", "aria-label": t("treeView"), class: "tree-svg" });
    const edgesG = s("g", { class: "tv-edges" });
    const labelsG = s("g", { class: "tv-labels" });
    const nodesG = s("g", { class: "tv-nodes" });
    const marks = problemsByNode();
    for (const [from, list] of lay.children) {
      const a = at.get(from);
      if (!a) continue;
      for (const c of list) {
        const b = c.type === "missing" ? null : at.get(c.target);
        if (!b) continue;
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
        const back = x2 <= x1;
        const d = back
          ? `M${x1},${y1} C${x1 + 60},${y1} ${x2 - 60},${y2 - 40} ${x2},${y2}`
          : `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
        edgesG.append(s("path", { d, class: "tv-edge" + (c.type === "ref" ? " tv-ref" : ""), "marker-end": "url(#tv-arrow)" }));
        const lx = back ? x1 + 6 : (x1 + x2) / 2;
        const ly = back ? y1 - 4 : (y1 + y2) / 2 - 3;
        const lbl = s("text", { x: lx, y: ly, class: "tv-label", "text-anchor": back ? "start" : "middle" });
        lbl.textContent = clip(c.label, 16);
        labelsG.append(lbl);
      }
    }
    for (const [id, p] of at) {
      const n = byId.get(id);
      const m = marks.get(id);
      const g = s("g", {
        class: `tv-node kind-${n.kind}` + (id === selected ? " selected" : "") + (m ? (m.error ? " has-error" : " has-warning") : ""),
        transform: `translate(${p.x},${p.y})`, "data-node": id, tabindex: "0", role: "button",
        "aria-label": `${nodeName(n)} (${L.kinds[n.kind] || n.kind})`, "aria-pressed": String(id === selected),
      });
      const tip = s("title");
      tip.textContent = nodeName(n);
      const title = s("text", { x: 10, y: 18, class: "tv-title" });
      title.textContent = clip(nodeName(n), 22);
      const kind = s("text", { x: 10, y: 34, class: "tv-kind" });
      kind.textContent = (L.kinds[n.kind] || n.kind) + (id === tree.root ? " · " + t("start") : "");
      g.append(tip, s("rect", { width: W, height: H, rx: 6, class: "tv-box" }), s("rect", { width: 5, height: H, rx: 2, class: "tv-stripe" }), title, kind);
      nodesG.append(g);
    }
    const defs = s("defs", {}, s("marker", { id: "tv-arrow", viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M0,0 L8,4 L0,8 z", class: "tv-arrowhead" })));
    svg.append(defs, edgesG, nodesG, labelsG);
    if (orphanTop != null) {
      const cap = s("text", { x: 0, y: orphanTop - 6, class: "tv-caption" });
      cap.textContent = t("notLinked");
      svg.append(cap);
    }
    view.replaceChildren(svg);
  }
  function markView() {
    for (const g of view.querySelectorAll(".tv-node")) {
      const on = g.dataset.node === selected;
      if (g.classList.contains("selected") !== on) { g.classList.toggle("selected", on); g.setAttribute("aria-pressed", String(on)); }
    }
  }
  const clip = (text, n) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

  view.addEventListener("click", (e) => {
    const g = e.target.closest("[data-node]");
    if (g) { selectNode(g.dataset.node); view.querySelector(`[data-node="${CSS.escape(g.dataset.node)}"]`)?.focus(); }
  });
  view.addEventListener("keydown", (e) => {
    const g = e.target.closest("[data-node]");
    if (g && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      e.stopPropagation();
      selectNode(g.dataset.node);
      view.querySelector(`[data-node="${CSS.escape(g.dataset.node)}"]`)?.focus();
    }
  });

  // ---- node panel -------------------------------------------------------------------

  // Rebuilt on structural edits; plain typing only updates the model, so the caret
  // and the browser's own field state survive. Focus returns to the same data-key.
  function renderPanel() {
    const had = panel.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    const n = nodeById(selected);
    if (!n) { panel.replaceChildren(h("p", { class: "muted", text: t("noSelection") })); return; }
    const edit = (fn, coalesce) => change(fn, coalesce ? { coalesce, panel: false } : {});
    const fs = h("fieldset", { class: "node-fields" });
    fs.disabled = readonly;
    fs.append(h("legend", { class: "visually-hidden", text: nodeName(n) }));
    const head = h("div", { class: "node-head" },
      h("span", { class: "node-id" }, t("nodeId") + " ", h("code", { text: n.id })),
      n.id === tree.root ? h("span", { class: "root-badge", text: t("start") }) : button(t("makeStart"), () => edit(() => { tree.root = n.id; }), { "data-key": "make-root" }),
      n.id === tree.root ? null : button(t("del"), () => removeRow({ type: "node", key: "n:" + n.id, id: n.id, parent: -1 }), { "data-key": "delete", class: "danger" }));
    fs.append(head, h("div", { id: "node-problems", class: "node-problems" }));
    fs.append(labelled(t("title"), input("title", n.title, (v) => edit(() => { n.title = v; }, "title"), { id: "node-title" })));
    fs.append(labelled(t("kind"), select("kind", KINDS.map((k) => [k, L.kinds[k]]), n.kind, (v) => edit(() => setKind(n, v)), { id: "node-kind" })));
    const text = h("textarea", { id: "node-text", "data-key": "text", rows: 5 });
    text.value = n.content.text;
    text.addEventListener("input", () => edit(() => { n.content.text = text.value; }, "text"));
    fs.append(labelled(t("text"), text));
    fs.append(kindSection(n, edit));
    fs.append(variantsSection(n, edit), mediaSection(n, edit));
    fs.append(check(t("allowLoop"), checkbox("loop", n.allow_loop, (v) => edit(() => { if (v) n.allow_loop = true; else delete n.allow_loop; }), { id: "node-loop" })));
    panel.replaceChildren(fs);
    renderNodeProblems();
    if (had) panel.querySelector(`[data-key="${CSS.escape(had)}"]`)?.focus();
  }

  // Select of every node as a target, plus "new node". Required edges start on
  // "choose"; optional ones offer "(none)".
  // One list of node options per tree state, cloned into each select: a big
  // tree has thousands of nodes and a question several answers.
  let optionsGen = -1;
  let optionsFrag = null;
  function nodeOptions() {
    if (optionsGen !== treeGen) {
      optionsFrag = document.createDocumentFragment();
      for (const n of tree.nodes) {
        const o = h("option", { text: `${nodeName(n)} (${n.id})` });
        o.value = n.id;
        optionsFrag.append(o);
      }
      optionsGen = treeGen;
    }
    return optionsFrag.cloneNode(true);
  }
  function targetSelect(key, value, onPick, { optional = false, label } = {}) {
    const el = h("select", { "data-key": key, class: "target-select", "aria-label": label });
    const opt = (v, text) => { const o = h("option", { text }); o.value = v; return o; };
    if (optional) el.append(opt("", t("none")));
    else if (!value) el.append(opt("", t("choose")));
    if (value && !byId.has(value)) el.append(opt(value, t("missingNode", value)));
    const fill = () => { const v = el.value; el.replaceChildren(...Array.from(el.options).filter((o) => !o.dataset.only), nodeOptions(), opt(NEW, t("newNodeOption"))); el.value = v; };
    if (tree.nodes.length <= LAZY_OPTIONS) el.append(nodeOptions(), opt(NEW, t("newNodeOption")));
    else {
      // Big trees: only the current target until the select is used, so moving
      // through the outline does not build thousands of options per answer.
      const cur = byId.get(value);
      if (cur) { const o = opt(value, `${nodeName(cur)} (${value})`); o.dataset.only = "1"; el.append(o); }
      for (const ev of ["focus", "mousedown", "keydown"]) el.addEventListener(ev, () => { if (!el.dataset.filled) { el.dataset.filled = "1"; fill(); } });
    }
    el.value = value || "";
    el.addEventListener("change", () => change(() => {
      onPick(el.value === NEW ? newNode() : el.value);
      dropIfUntouched(value);
    }));
    return el;
  }

  function listControls(key, list, i, edit) {
    return h("span", { class: "row-tools" },
      button("↑", () => edit(() => { [list[i - 1], list[i]] = [list[i], list[i - 1]]; }), { "data-key": key + "-up", "aria-label": t("up"), disabled: i === 0 }),
      button("↓", () => edit(() => { [list[i + 1], list[i]] = [list[i], list[i + 1]]; }), { "data-key": key + "-down", "aria-label": t("down"), disabled: i === list.length - 1 }),
      button("×", () => edit(() => { list.splice(i, 1); }), { "data-key": key + "-remove", "aria-label": t("remove"), class: "danger" }));
  }
  const section = (title, ...kids) => h("section", { class: "node-section" }, h("h3", { text: title }), ...kids);

  function kindSection(n, edit) {
    switch (n.kind) {
      case "question": {
        const ol = h("ol", { class: "answers" }, n.answers.map((a, i) => h("li", { class: "item-row" },
          input(`ans-${i}-label`, a.label, (v) => edit(() => { a.label = v; }, `ans-${i}`), { class: "answer-label", "aria-label": t("answer", i + 1) + " · " + t("label") }),
          targetSelect(`ans-${i}-target`, a.target, (v) => { a.target = v; }, { label: t("answer", i + 1) + " · " + t("target") }),
          listControls(`ans-${i}`, n.answers, i, edit))));
        ol.querySelectorAll("select").forEach((el) => el.classList.add("answer-target"));
        return section(t("answers"), ol, button(t("addAnswer"), () => edit(() => {
          n.answers.push({ label: t("newAnswer", n.answers.length + 1), target: newNode() });
        }), { "data-key": "add-answer", id: "add-answer" }));
      }
      case "instruction":
        return section(t("nextStep"), targetSelect("next", n.next, (v) => { n.next = v; }, { label: t("nextStep") }));
      case "form":
        return h("div", {}, fieldsSection(n, edit), section(t("nextStep"), targetSelect("next", n.next, (v) => { n.next = v; }, { label: t("nextStep") })));
      case "decision":
        return h("div", {}, rulesSection(n, edit), section(t("otherwiseTo"),
          targetSelect("default", n.default, (v) => { n.default = v || null; }, { optional: true, label: t("otherwiseTo") })));
      case "solution": {
        const link = articlesUrl && n.article_id
          ? h("a", { href: articlesUrl.replace(/\/$/, "") + "/" + encodeURIComponent(n.article_id), target: "_blank", rel: "noopener", text: t("openArticle") }) : null;
        return section(L.kinds.solution,
          labelled(t("articleId"), input("article", n.article_id, (v) => edit(() => { if (v.trim()) n.article_id = v.trim(); else delete n.article_id; }, "article"), { id: "node-article" })),
          link,
          labelled(t("nextStep"), targetSelect("next", n.next, (v) => { if (v) n.next = v; else delete n.next; }, { optional: true, label: t("nextStep") })));
      }
      case "escalation": {
        const isQueue = n.target && "queue" in n.target;
        return section(L.kinds.escalation,
          labelled(t("escTarget"), select("esc-kind", [["tier", t("tier")], ["queue", t("queue")]], isQueue ? "queue" : "tier",
            (v) => edit(() => { n.target = v === "queue" ? { queue: "" } : { tier: "n1" }; }), { id: "node-esc-kind" })),
          isQueue
            ? labelled(t("queueName"), input("esc-queue", n.target.queue, (v) => edit(() => { n.target = { queue: v }; }, "esc-queue"), { id: "node-esc-queue" }))
            : labelled(t("tier"), select("esc-tier", TIERS.map((x) => [x, L.tiers[x]]), (n.target || {}).tier, (v) => edit(() => { n.target = { tier: v }; }), { id: "node-esc-tier" })),
          labelled(t("reason"), input("reason", n.reason, (v) => edit(() => { n.reason = v; }, "reason"), { id: "node-reason" })));
      }
      case "jump":
        return section(L.kinds.jump,
          labelled(t("treeRef"), input("tree-ref", n.tree_ref, (v) => edit(() => { n.tree_ref = v; }, "tree-ref"), { id: "node-tree-ref" })),
          labelled(t("returnTo"), targetSelect("return-to", n.return_to, (v) => { if (v) n.return_to = v; else delete n.return_to; }, { optional: true, label: t("returnTo") })));
      case "end":
        return section(t("outcome"), select("outcome", OUTCOMES.map((o) => [o, L.outcomes[o]]), n.outcome, (v) => edit(() => { n.outcome = v; }), { id: "node-outcome", "aria-label": t("outcome") }));
      default:
        return null;
    }
  }

  function fieldsSection(n, edit) {
    const ol = h("ol", { class: "fields" }, n.fields.map((f, i) => {
      const k = `field-${i}`;
      const num = (key, prop, parse) => input(`${k}-${key}`, f[prop] ?? "", (v) => edit(() => {
        const x = parse(v);
        if (v.trim() === "" || Number.isNaN(x)) delete f[prop]; else f[prop] = x;
      }, `${k}-${key}`), { type: "number", "aria-label": t("field", i + 1) + " · " + t(key) });
      const specific = [];
      if (f.type === "text") specific.push(labelled(t("maxLen"), num("maxLen", "max_len", (v) => parseInt(v, 10))));
      if (f.type === "number") specific.push(
        labelled(t("min"), num("min", "min", Number)), labelled(t("max"), num("max", "max", Number)),
        check(t("integer"), checkbox(`${k}-integer`, f.integer, (v) => edit(() => { if (v) f.integer = true; else delete f.integer; }))));
      if (f.type === "choice") {
        f.options = f.options || [];
        specific.push(h("div", { class: "options" }, h("h4", { text: t("options") }), h("ol", {}, f.options.map((o, j) => h("li", { class: "item-row" },
          input(`${k}-opt-${j}-value`, o.value, (v) => edit(() => { o.value = v; }, `${k}-opt-${j}-value`), { "aria-label": t("value"), placeholder: t("value") }),
          input(`${k}-opt-${j}-label`, o.label, (v) => edit(() => { o.label = v; }, `${k}-opt-${j}-label`), { "aria-label": t("label"), placeholder: t("label") }),
          listControls(`${k}-opt-${j}`, f.options, j, edit)))),
          button(t("addOption"), () => edit(() => { f.options.push({ value: "", label: "" }); }), { "data-key": `${k}-add-option` })));
      }
      return h("li", { class: "field-item" },
        h("div", { class: "item-row" },
          labelled(t("name"), input(`${k}-name`, f.name, (v) => edit(() => { f.name = v; }, `${k}-name`), { class: "field-name" })),
          labelled(t("label"), input(`${k}-label`, f.label, (v) => edit(() => { f.label = v; }, `${k}-label`), { class: "field-label" })),
          labelled(t("type"), select(`${k}-type`, FIELD_TYPES.map((x) => [x, L.types[x]]), f.type, (v) => edit(() => setFieldType(f, v)), { class: "field-type" })),
          listControls(k, n.fields, i, edit)),
        h("div", { class: "item-row" },
          check(t("required"), checkbox(`${k}-required`, f.required, (v) => edit(() => { if (v) f.required = true; else delete f.required; }))),
          labelled(t("fieldHelp"), input(`${k}-help`, f.help, (v) => edit(() => { if (v) f.help = v; else delete f.help; }, `${k}-help`)))),
        specific.length ? h("div", { class: "item-row" }, specific) : null);
    }));
    return section(t("fields"), ol, button(t("addField"), () => edit(() => {
      n.fields.push({ name: "field" + (n.fields.length + 1), label: "", type: "text" });
    }), { "data-key": "add-field" }));
  }
  function setFieldType(f, type) {
    for (const k of ["max_len", "min", "max", "integer", "options"]) delete f[k];
    f.type = type;
    if (type === "choice") f.options = [];
  }

  function rulesSection(n, edit) {
    const ol = h("ol", { class: "rules" }, n.rules.map((r, i) => {
      const k = `rule-${i}`;
      r.when = r.when || [];
      const conds = h("ul", { class: "conditions" }, r.when.map((c, j) => conditionRow(c, `${k}-c${j}`, r.when, j, edit)));
      return h("li", { class: "rule-item" },
        h("div", { class: "item-row" }, h("strong", { text: t("ruleN", i + 1) }), listControls(k, n.rules, i, edit)),
        h("p", { class: "small muted", text: t("conditions") }), conds,
        button(t("addCondition"), () => edit(() => { r.when.push({ subject: { var: "" }, op: "eq", value: "" }); }), { "data-key": `${k}-add-cond` }),
        labelled(t("target"), targetSelect(`${k}-target`, r.target, (v) => { r.target = v; }, { label: t("ruleN", i + 1) + " · " + t("target") })));
    }));
    return section(t("rules"), ol, button(t("addRule"), () => edit(() => { n.rules.push({ when: [], target: newNode() }); }), { "data-key": "add-rule" }));
  }

  function conditionRow(c, k, list, j, edit) {
    const isVar = "var" in (c.subject || {});
    const noValue = c.op === "is_set" || c.op === "is_not_set";
    const kind = select(`${k}-subj`, [["var", t("variable")], ["customer", t("customer")]], isVar ? "var" : "customer",
      (v) => edit(() => { c.subject = v === "var" ? { var: "" } : { customer: "age_band" }; }), { "aria-label": t("subject") });
    const name = isVar
      ? input(`${k}-var`, c.subject.var, (v) => edit(() => { c.subject = { var: v }; }, `${k}-var`), { "aria-label": t("variable"), placeholder: t("variable") })
      : select(`${k}-attr`, Object.keys(ATTRS).map((a) => [a, L.attrs[a]]), c.subject.customer, (v) => edit(() => { c.subject = { customer: v }; }), { "aria-label": t("customer") });
    const op = select(`${k}-op`, OPS.map((o) => [o, L.ops[o]]), c.op, (v) => edit(() => {
      c.op = v;
      if (v === "is_set" || v === "is_not_set") delete c.value;
    }), { "aria-label": t("op") });
    const hint = isVar ? t("valueHint") : ATTRS[c.subject.customer]?.map((x) => JSON.stringify(x)).join(" · ");
    const value = input(`${k}-value`, c.value === undefined ? "" : JSON.stringify(c.value), (v, el) => edit(() => {
      if (!v.trim()) { delete c.value; el.removeAttribute("aria-invalid"); el.title = hint || ""; return; }
      try {
        const x = JSON.parse(v);
        if (x === null || (typeof x === "object" && !Array.isArray(x))) throw new Error("not a literal");
        c.value = x;
        el.removeAttribute("aria-invalid");
        el.title = hint || "";
      } catch (_) {
        // Typing a bare word is common; keep it as text and say so.
        c.value = v;
        el.setAttribute("aria-invalid", "true");
        el.title = t("badJsonValue");
      }
    }, `${k}-value`), { class: "cond-value", "aria-label": t("valueJson"), placeholder: hint, title: hint, disabled: noValue });
    return h("li", { class: "item-row condition" }, kind, name, op, value,
      button("×", () => edit(() => { list.splice(j, 1); }), { "data-key": `${k}-remove`, "aria-label": t("remove"), class: "danger" }));
  }

  function variantsSection(n, edit) {
    const vs = n.content.variants || [];
    const ol = h("ol", { class: "variants" }, vs.map((v, i) => {
      const k = `variant-${i}`;
      v.segment = v.segment || {};
      const seg = Object.keys(ATTRS).map((a) => labelled(L.attrs[a], input(`${k}-${a}`, (v.segment[a] || []).join(", "), (x) => edit(() => {
        const list = x.split(",").map((p) => p.trim()).filter(Boolean);
        if (list.length) v.segment[a] = list; else delete v.segment[a];
      }, `${k}-${a}`), { placeholder: ATTRS[a].join(", "), class: "segment-input" }), "seg"));
      const text = h("textarea", { "data-key": `${k}-text`, rows: 3, "aria-label": t("variant", i + 1) });
      text.value = v.text || "";
      text.addEventListener("input", () => edit(() => { v.text = text.value; }, `${k}-text`));
      return h("li", { class: "variant-item" },
        h("div", { class: "item-row" }, h("strong", { text: t("variant", i + 1) }), listControls(k, vs, i, (fn) => edit(() => { fn(); if (!vs.length) delete n.content.variants; }))),
        h("p", { class: "small muted", text: t("segmentHint") }), h("div", { class: "segment" }, seg), text);
    }));
    return section(t("variants"), ol, button(t("addVariant"), () => edit(() => {
      (n.content.variants = n.content.variants || []).push({ segment: {}, text: "" });
    }), { "data-key": "add-variant" }));
  }

  function mediaSection(n, edit) {
    const ms = n.content.media || [];
    const ol = h("ol", { class: "media" }, ms.map((m, i) => {
      const k = `media-${i}`;
      const src = m.source || {};
      const isBlob = "blob" in src;
      return h("li", { class: "item-row media-item" },
        select(`${k}-kind`, MEDIA_KINDS.map((x) => [x, L.mediaKinds[x]]), m.kind, (v) => edit(() => { m.kind = v; }), { "aria-label": t("mediaKind") }),
        select(`${k}-src`, [["url", t("url")], ["blob", t("blob")]], isBlob ? "blob" : "url", (v) => edit(() => {
          const cur = (m.source && (m.source.url ?? m.source.blob)) || "";
          m.source = { [v]: cur };
        }), { "aria-label": t("source") }),
        input(`${k}-loc`, isBlob ? src.blob : src.url, (v) => edit(() => { m.source = { [isBlob ? "blob" : "url"]: v }; }, `${k}-loc`),
          { "aria-label": isBlob ? t("blob") : t("url"), placeholder: isBlob ? t("blob") : "https://…" }),
        input(`${k}-alt`, m.alt, (v) => edit(() => { m.alt = v; }, `${k}-alt`), { "aria-label": t("alt"), placeholder: t("alt") }),
        listControls(k, ms, i, (fn) => edit(() => { fn(); if (!ms.length) delete n.content.media; })));
    }));
    return section(t("media"), ol, button(t("addMedia"), () => edit(() => {
      (n.content.media = n.content.media || []).push({ kind: "image", source: { url: "" }, alt: "" });
    }), { "data-key": "add-media" }));
  }

  // ---- problems -----------------------------------------------------------------

  function problemItem(p) {
    const n = p.node ? nodeById(p.node) : null;
    const li = h("li", {
      class: "problem sev-" + (p.severity === "error" ? "error" : "warning"), "data-code": p.code || "",
      "data-node": p.node || null, tabindex: p.node ? "0" : null, role: p.node ? "button" : null,
    },
      h("span", { class: "sev", text: p.severity === "error" ? t("error") : t("warning") }), " ",
      h("span", { class: "where", text: n ? nodeName(n) : (p.node || t("treeLevel")) }), " — ",
      h("span", { class: "msg", text: p.message || p.code || "" }), " ",
      h("code", { class: "code", text: p.code || "" }));
    return li;
  }
  function renderProblems() {
    const errs = problems.filter((p) => p.severity === "error").length;
    const warns = problems.length - errs;
    problemsHead.textContent = !problems.length && publishable == null ? "" : !problems.length ? t("noProblems") + " " + (publishable ? t("publishable") : "")
      : `${t("errors", errs)}, ${t("warnings", warns)}. ` + (publishable ? t("publishable") : t("notPublishable"));
    problemsList.replaceChildren(...problems.map(problemItem));
    renderNodeProblems();
  }
  function renderNodeProblems() {
    const box = panel.querySelector("#node-problems");
    if (!box) return;
    const mine = problems.filter((p) => p.node && p.node === selected);
    box.replaceChildren(...(mine.length ? [h("ul", {}, mine.map((p) => h("li", { class: "sev-" + (p.severity === "error" ? "error" : "warning"), "data-code": p.code || "", text: p.message || p.code })))] : []));
  }
  function goToProblem(li) {
    const id = li && li.dataset.node;
    if (id && nodeById(id)) { showView = false; selectNode(id, true); }
  }
  problemsList.addEventListener("click", (e) => goToProblem(e.target.closest("li[data-node]")));
  problemsList.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" && e.key !== " ") return;
    const li = e.target.closest("li[data-node]");
    if (!li) return;
    e.preventDefault();
    e.stopPropagation();
    goToProblem(li);
  });

  // ---- rendering --------------------------------------------------------------------

  function renderAll() {
    renderOutline();
    renderView();
    renderPanel();
    renderProblems();
  }
  // Typing re-draws the outline once per frame, not once per key; the drawing,
  // costlier on a big tree, once typing pauses.
  let frame = 0;
  let viewTimer = null;
  function scheduleRender() {
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (!renaming) renderOutline(outline.contains(document.activeElement));
      });
    }
    if (showView) { clearTimeout(viewTimer); viewTimer = setTimeout(renderView, 300); }
  }

  let flashText = "";
  let flashTimer = null;
  function flash(text) {
    flashText = text;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { flashText = ""; updateStatus(); }, 5000);
    updateStatus();
  }

  function updateStatus() {
    const isDirty = !readonly && dirty();
    let text;
    if (readonly) text = t("readonly");
    else if (saving) text = t("saving");
    else if (isDirty) text = t("unsaved");
    else if (justSaved) text = t("saved");
    else text = t("upToDate");
    const extra = [saveError && saveError.text, flashText, loadNote].filter(Boolean);
    status.textContent = [text, ...extra].join(" — ");
    status.classList.toggle("is-dirty", isDirty);
    status.classList.toggle("is-saved", !isDirty && justSaved);
    status.classList.toggle("is-error", !!saveError);
    saveErrors.replaceChildren(...((saveError && saveError.list) || []).map((x) => h("li", { text: typeof x === "string" ? x : x && (x.message || x.detail) ? (x.message || x.detail) : JSON.stringify(x) })));
    saveBtn.disabled = readonly || saving;
    undoBtn.disabled = readonly || !past.length;
    redoBtn.disabled = readonly || !future.length;
  }

  // ---- server -------------------------------------------------------------------------

  const headers = () => ({ "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" });
  let validateTimer = null;
  let validateSeq = 0;
  function scheduleValidate() {
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validate, 400);
  }
  async function validate() {
    if (!validateUrl) return;
    const mine = ++validateSeq;
    try {
      const res = await fetch(validateUrl, { method: "POST", headers: headers(), credentials: "same-origin", body: `{"tree":${JSON.stringify(tree)}}` });
      if (mine !== validateSeq) return; // a newer check is on its way
      if (!res.ok) throw new Error("HTTP " + res.status);
      const data = await res.json();
      if (mine !== validateSeq) return;
      showProblems(data);
    } catch (_) {
      if (mine === validateSeq) { problemsHead.textContent = t("validateFailed"); }
    }
  }
  function showProblems(data) {
    problems = Array.isArray(data && data.problems) ? data.problems : [];
    viewStale = true;
    publishable = data ? !!data.publishable : null;
    renderProblems();
    if (!renaming) renderOutline(outline.contains(document.activeElement));
    renderView();
  }

  async function save() {
    if (readonly || saving) return;
    saving = true;
    saveError = null;
    updateStatus();
    const sent = JSON.stringify(tree);
    let res = null;
    let data = null;
    try {
      res = await fetch(saveUrl, { method: "PUT", headers: headers(), credentials: "same-origin", body: `{"expected_revision":${revision},"tree":${sent}}` });
      data = await res.json().catch(() => null);
    } catch (_) {
      res = null;
    }
    saving = false;
    const detail = data && typeof data.detail === "string" ? data.detail : "";
    if (!res) saveError = { text: t("networkError") };
    else if (res.ok) {
      if (data && Number.isFinite(Number(data.revision))) revision = Number(data.revision);
      host.dataset.revision = String(revision);
      savedJson = sent;
      justSaved = true;
      loadNote = "";
      // The answer checks the tree as sent; it is current only if nothing changed since.
      if (data && JSON.stringify(tree) === sent) { validateSeq++; showProblems(data); }
    } else if (res.status === 409) saveError = { text: detail || t("conflict") };
    else if (res.status === 422) saveError = { text: detail || t("invalid"), list: data && Array.isArray(data.errors) ? data.errors : [] };
    else saveError = { text: t("saveFailed", res.status) + (detail ? " " + detail : "") };
    updateStatus();
  }

  // ---- global keys, leaving the page ---------------------------------------------------

  const typing = (el) => el && el.matches && el.matches("input, textarea, select, [contenteditable]");
  // Capture phase: these win over the page-wide shortcuts in app.js (its "?" dialog).
  window.addEventListener("keydown", (e) => {
    const mod = e.ctrlKey || e.metaKey;
    const k = e.key.toLowerCase();
    if (mod && !e.altKey && k === "s") { e.preventDefault(); e.stopPropagation(); save(); return; }
    if (mod && !e.altKey && (k === "z" || k === "y")) {
      e.preventDefault();
      e.stopPropagation();
      if (renaming) return;
      if (k === "y" || e.shiftKey) redo(); else undo();
      refocus();
      return;
    }
    if (e.key === "?" && !mod && !typing(e.target)) { e.preventDefault(); e.stopPropagation(); toggleHelp(); return; }
    if (e.key === "Escape" && !help.hidden && !typing(e.target)) { toggleHelp(false); }
  }, true);
  // After undo the panel is rebuilt; keep the person where they were.
  function refocus() {
    if (!host.contains(document.activeElement) || document.activeElement === document.body) focusActive();
  }

  window.addEventListener("beforeunload", (e) => {
    if (!readonly && dirty()) { e.preventDefault(); e.returnValue = ""; }
  });

  // ---- start ----------------------------------------------------------------------------

  renderAll();
  updateStatus();
  if (validateUrl) validate();
})();
