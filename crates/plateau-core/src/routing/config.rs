//! Queues and workflows as a supervisor writes them ([`RoutingConfig`]) and
//! their validated, compiled form ([`Routing`]): filters, ordered steps with
//! targets, timeouts, priority changes, skip conditions and advisor ordering,
//! and the escalation graph (N1 → N2 → expert) checked for cycles.
//!
//! Compilation reports every bad field at once as a `DomainError::Invalid`, so
//! the editor can show them all and nothing half-valid is ever saved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::expr::{Expr, Pred, Schema, Subject};
use crate::error::{DomainError, Validator};
use crate::model::{Channel, ContractTier, Priority, Tier};

/// How a step changes the contact's priority when the contact enters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityChange {
    /// Set to this priority.
    Set(Priority),
    /// One level up, capped at urgent.
    Raise,
}

impl PriorityChange {
    pub fn apply(self, p: Priority) -> Priority {
        match self {
            PriorityChange::Set(q) => q,
            PriorityChange::Raise => match p {
                Priority::Low => Priority::Normal,
                Priority::Normal => Priority::High,
                Priority::High | Priority::Urgent => Priority::Urgent,
            },
        }
    }
}

/// When a step is passed over. Site hours and named facts come from the caller
/// (calendars live outside the router); staffing is known to the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipIf {
    /// The named site is closed (see `Event::SiteHours`).
    SiteClosed(String),
    /// No logged-in advisor (any state but offline) matches the step's target.
    NobodyStaffed,
    /// A named boolean fact set by the caller (`Event::Fact`) is true.
    Fact(String),
}

/// How advisors who match a step are ranked; the advisor id breaks remaining ties.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKey {
    /// Highest level in this skill first.
    Proficiency(String),
    /// Least recently given work first.
    LongestIdle,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSpec {
    /// Expression over advisor attributes.
    pub target: String,
    /// Seconds in this step before moving to the next; none on the last step.
    #[serde(default)]
    pub timeout_secs: Option<i64>,
    #[serde(default)]
    pub priority: Option<PriorityChange>,
    #[serde(default)]
    pub skip_if: Vec<SkipIf>,
    /// Defaults to longest idle.
    #[serde(default)]
    pub order: Vec<OrderKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowSpec {
    /// The queue's name, unique in the tenant.
    pub name: String,
    /// Expression over contact attributes; the first workflow whose filter
    /// matches wins. None: the queue is reached only by escalation.
    #[serde(default)]
    pub filter: Option<String>,
    /// The tier that works this queue; escalation never goes down a tier.
    pub tier: Tier,
    /// The queue that receives escalations from this one.
    #[serde(default)]
    pub escalate_to: Option<String>,
    /// Alert when a contact waits longer than this; defaults to the config's.
    #[serde(default)]
    pub max_wait_secs: Option<i64>,
    pub steps: Vec<StepSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingConfig {
    pub schema: Schema,
    pub workflows: Vec<WorkflowSpec>,
    /// Seconds an advisor has to accept an offer.
    pub offer_timeout_secs: i64,
    /// Default alert threshold for a contact stuck in a queue.
    pub max_wait_secs: i64,
    /// How long a due callback waits for its preferred advisor before any advisor may take it.
    pub callback_preferred_secs: i64,
    /// Contract tiers that include the expert cell (Orange's paid pro contract, for example).
    pub expert_contract_tiers: Vec<ContractTier>,
    /// Wrap-up seconds after a contact ends, per channel (missing: none).
    pub wrap_up_secs: Vec<(Channel, i64)>,
    /// Service-level threshold and short-abandon limit per queue, in seconds.
    pub service_level_threshold_secs: i64,
    pub short_abandon_secs: i64,
    /// The share of answered contacts that should be answered within the
    /// threshold, in percent (the wallboard's target line). Configurations
    /// saved before it existed get the usual 80 %.
    #[serde(default = "default_target_percent")]
    pub service_level_target_percent: u8,
    /// SLA targets per channel and priority, in business time; the most
    /// specific match applies to a conversation (see `sla::SlaPolicies`).
    /// The `tenant` of each is ignored here: the configuration is the brand's.
    #[serde(default)]
    pub sla_policies: Vec<crate::sla::SlaPolicy>,
}

fn default_target_percent() -> u8 {
    80
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            schema: Schema::default(),
            workflows: Vec::new(),
            offer_timeout_secs: 20,
            max_wait_secs: 600,
            callback_preferred_secs: 300,
            expert_contract_tiers: vec![ContractTier::Pro, ContractTier::Expert],
            wrap_up_secs: vec![(Channel::Phone, 30)],
            service_level_threshold_secs: 20,
            short_abandon_secs: 5,
            service_level_target_percent: default_target_percent(),
            sla_policies: Vec::new(),
        }
    }
}

/// Second-precision config values become microseconds, the unit of [`crate::Timestamp`].
const MICROS: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderComp {
    None,
    Proficiency(u16),
    LongestIdle,
}

/// A distinct (target, order) pair. Steps with the same target and order share
/// one pool, so the router keeps one advisor index and one waiting list per pool.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub target: Pred,
    pub order: [OrderComp; 2],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
    SiteClosed(u32),
    NobodyStaffed,
    Fact(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub pool: u32,
    pub timeout: Option<i64>,
    pub priority: Option<PriorityChange>,
    pub skip_if: Vec<Skip>,
}

#[derive(Debug, Clone)]
pub(crate) struct Workflow {
    pub name: String,
    pub filter: Pred,
    pub tier: Tier,
    pub escalate_to: Option<u32>,
    pub max_wait: i64,
    pub steps: Vec<Step>,
}

/// A validated routing configuration, ready for a [`super::Router`].
#[derive(Debug, Clone)]
pub struct Routing {
    pub(crate) schema: Schema,
    pub(crate) workflows: Vec<Workflow>,
    pub(crate) pools: Vec<Pool>,
    pub(crate) offer_timeout: i64,
    pub(crate) callback_preferred: i64,
    pub(crate) expert_contract_tiers: Vec<ContractTier>,
    pub(crate) wrap_up: [i64; Channel::ALL.len()],
    pub(crate) sl_threshold_secs: i64,
    pub(crate) short_abandon_secs: i64,
    pub(crate) sl_target_percent: u8,
}

impl Routing {
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn service_level_threshold_secs(&self) -> i64 {
        self.sl_threshold_secs
    }

    pub fn short_abandon_secs(&self) -> i64 {
        self.short_abandon_secs
    }

    pub fn service_level_target_percent(&self) -> u8 {
        self.sl_target_percent
    }

    pub fn workflow_names(&self) -> impl Iterator<Item = &str> {
        self.workflows.iter().map(|w| w.name.as_str())
    }

    /// Validates and compiles; every problem is reported with its field path.
    pub fn compile(cfg: &RoutingConfig) -> Result<Routing, DomainError> {
        let mut v = Validator::new();
        for (field, secs, min) in [
            ("offer_timeout_secs", cfg.offer_timeout_secs, 1),
            ("max_wait_secs", cfg.max_wait_secs, 1),
            ("callback_preferred_secs", cfg.callback_preferred_secs, 0),
            (
                "service_level_threshold_secs",
                cfg.service_level_threshold_secs,
                1,
            ),
            ("short_abandon_secs", cfg.short_abandon_secs, 0),
        ] {
            if secs < min {
                v.push(field, format!("must be at least {min} second(s)"));
            }
        }
        let mut wrap_up = [0; Channel::ALL.len()];
        for (ch, secs) in &cfg.wrap_up_secs {
            if *secs < 0 {
                v.push(&format!("wrap_up_secs.{ch}"), "must not be negative");
            }
            if cfg.wrap_up_secs.iter().filter(|(c, _)| c == ch).count() > 1 {
                v.push(&format!("wrap_up_secs.{ch}"), "listed more than once");
            }
            wrap_up[channel_index(*ch)] = secs.max(&0) * MICROS;
        }
        if !(1..=100).contains(&cfg.service_level_target_percent) {
            v.push("service_level_target_percent", "must be between 1 and 100");
        }
        if cfg.workflows.is_empty() {
            v.push("workflows", "at least one workflow is needed");
        }
        if let Err(DomainError::Invalid(errs)) = crate::sla::SlaPolicies::new(brand_policies(cfg)) {
            for e in errs {
                // "policies[i].x" from the SLA module is "sla_policies[i].x" here.
                v.push(&format!("sla_{}", e.field), e.message);
            }
        }

        let mut pools: Vec<Pool> = Vec::new();
        let mut pool_keys: BTreeMap<(String, Vec<OrderKey>), u32> = BTreeMap::new();
        let mut workflows = Vec::new();
        let mut seen = BTreeMap::new();
        for (wi, w) in cfg.workflows.iter().enumerate() {
            let at = |f: &str| format!("workflows[{wi}].{f}");
            if w.name.trim().is_empty() {
                v.push(&at("name"), "must not be empty");
            } else if let Some(first) = seen.insert(w.name.clone(), wi) {
                v.push(
                    &at("name"),
                    format!("'{}' is already the name of workflows[{first}]", w.name),
                );
            }
            let filter = match &w.filter {
                Some(f) => v.check(
                    &at("filter"),
                    Expr::compile(f, Subject::Contact, &cfg.schema)
                        .map(|e| e.pred)
                        .map_err(|e| e.to_string()),
                ),
                None => Some(Pred::Const(false)),
            };
            if let Some(s) = w.max_wait_secs {
                if s < 1 {
                    v.push(&at("max_wait_secs"), "must be at least 1 second");
                }
            }
            if w.steps.is_empty() {
                v.push(&at("steps"), "a workflow needs at least one step");
            }
            let mut steps = Vec::new();
            for (si, s) in w.steps.iter().enumerate() {
                let at = |f: &str| format!("workflows[{wi}].steps[{si}].{f}");
                let target = v.check(
                    &at("target"),
                    Expr::compile(&s.target, Subject::Advisor, &cfg.schema)
                        .map_err(|e| e.to_string()),
                );
                match s.timeout_secs {
                    Some(t) if t < 1 => v.push(&at("timeout_secs"), "must be at least 1 second"),
                    Some(_) if si + 1 == w.steps.len() => v.push(
                        &at("timeout_secs"),
                        "the last step has no next step to move to: remove its timeout (the max-wait alert covers stuck contacts)",
                    ),
                    None if si + 1 < w.steps.len() => v.push(
                        &at("timeout_secs"),
                        "every step but the last needs a timeout, or the later steps are never reached",
                    ),
                    _ => {}
                }
                let mut order = [OrderComp::None; 2];
                let keys = if s.order.is_empty() {
                    vec![OrderKey::LongestIdle]
                } else {
                    s.order.clone()
                };
                if keys.len() > 2 {
                    v.push(
                        &at("order"),
                        "at most two ordering keys (for example proficiency, then longest idle)",
                    );
                }
                for (k, key) in keys.iter().take(2).enumerate() {
                    order[k] = match key {
                        OrderKey::LongestIdle => OrderComp::LongestIdle,
                        OrderKey::Proficiency(skill) => match cfg.schema.skill(skill) {
                            Some(id) => OrderComp::Proficiency(id),
                            None => {
                                v.push(
                                    &at(&format!("order[{k}]")),
                                    format!("unknown skill '{skill}'"),
                                );
                                OrderComp::None
                            }
                        },
                    };
                }
                let mut skip_if = Vec::new();
                for (ki, sk) in s.skip_if.iter().enumerate() {
                    match sk {
                        SkipIf::SiteClosed(site) => match cfg.schema.site(site) {
                            Some(id) => skip_if.push(Skip::SiteClosed(id)),
                            None => v.push(
                                &at(&format!("skip_if[{ki}]")),
                                format!("unknown site '{site}'"),
                            ),
                        },
                        SkipIf::NobodyStaffed => skip_if.push(Skip::NobodyStaffed),
                        SkipIf::Fact(f) if f.trim().is_empty() => {
                            v.push(&at(&format!("skip_if[{ki}]")), "a fact needs a name")
                        }
                        SkipIf::Fact(f) => skip_if.push(Skip::Fact(f.clone())),
                    }
                }
                if let Some(t) = target {
                    let key = (t.source().to_string(), keys.clone());
                    let pool = *pool_keys.entry(key).or_insert_with(|| {
                        pools.push(Pool {
                            target: t.pred.clone(),
                            order,
                        });
                        (pools.len() - 1) as u32
                    });
                    steps.push(Step {
                        pool,
                        timeout: s.timeout_secs.map(|t| t.max(1) * MICROS),
                        priority: s.priority,
                        skip_if,
                    });
                }
            }
            if let Some(filter) = filter {
                workflows.push(Workflow {
                    name: w.name.clone(),
                    filter,
                    tier: w.tier,
                    escalate_to: None,
                    max_wait: w.max_wait_secs.unwrap_or(cfg.max_wait_secs).max(1) * MICROS,
                    steps,
                });
            }
        }

        // Escalation edges: they must name a queue, never go down a tier, and never loop.
        let mut edges = vec![None; cfg.workflows.len()];
        for (wi, w) in cfg.workflows.iter().enumerate() {
            let Some(to) = &w.escalate_to else { continue };
            match cfg.workflows.iter().position(|x| &x.name == to) {
                None => v.push(
                    &format!("workflows[{wi}].escalate_to"),
                    format!("no workflow is named '{to}'"),
                ),
                Some(ti) if tier_rank(cfg.workflows[ti].tier) < tier_rank(w.tier) => v.push(
                    &format!("workflows[{wi}].escalate_to"),
                    format!(
                        "escalation goes up the tiers: '{}' is {} but '{to}' is {}",
                        w.name, w.tier, cfg.workflows[ti].tier
                    ),
                ),
                Some(ti) => edges[wi] = Some(ti),
            }
        }
        let mut reported = vec![false; edges.len()];
        for start in 0..edges.len() {
            let mut path = vec![start];
            let mut cur = start;
            while let Some(next) = edges[cur] {
                if let Some(at) = path.iter().position(|&p| p == next) {
                    let cycle = &path[at..];
                    if !cycle.iter().any(|&c| reported[c]) {
                        let names: Vec<&str> = cycle
                            .iter()
                            .chain(std::iter::once(&next))
                            .map(|&i| cfg.workflows[i].name.as_str())
                            .collect();
                        let first = *cycle.iter().min().unwrap_or(&next);
                        v.push(
                            &format!("workflows[{first}].escalate_to"),
                            format!("escalation cycle: {}", names.join(" → ")),
                        );
                        cycle.iter().for_each(|&c| reported[c] = true);
                    }
                    break;
                }
                path.push(next);
                cur = next;
            }
        }
        v.finish()?;
        for (w, e) in workflows.iter_mut().zip(edges) {
            w.escalate_to = e.and_then(|e| u32::try_from(e).ok());
        }
        Ok(Routing {
            schema: cfg.schema.clone(),
            workflows,
            pools,
            offer_timeout: cfg.offer_timeout_secs * MICROS,
            callback_preferred: cfg.callback_preferred_secs * MICROS,
            expert_contract_tiers: cfg.expert_contract_tiers.clone(),
            wrap_up,
            sl_threshold_secs: cfg.service_level_threshold_secs,
            short_abandon_secs: cfg.short_abandon_secs,
            sl_target_percent: cfg.service_level_target_percent,
        })
    }
}

/// The configuration's SLA policies as one brand's: their `tenant` is blank.
pub fn brand_policies(cfg: &RoutingConfig) -> Vec<crate::sla::SlaPolicy> {
    cfg.sla_policies
        .iter()
        .cloned()
        .map(|mut p| {
            p.tenant = String::new();
            p
        })
        .collect()
}

/// Escalation order: N1 < N2 < expert.
fn tier_rank(t: Tier) -> u8 {
    match t {
        Tier::N1 => 0,
        Tier::N2 => 1,
        Tier::Expert => 2,
    }
}

pub(crate) fn channel_index(c: Channel) -> usize {
    match c {
        Channel::Email => 0,
        Channel::Phone => 1,
        Channel::Chat => 2,
        Channel::Social => 3,
        Channel::Letter => 4,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn schema() -> Schema {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        Schema {
            skills: s(&["fibre", "mobile", "billing"]),
            sites: s(&["paris", "rabat", "sydney"]),
            teams: s(&["internet", "fixed_line", "experts"]),
            tenants: s(&["orange", "sosh"]),
            reasons: s(&["loyalty", "retention", "sales", "after_sales"]),
            segments: s(&["senior", "geek"]),
        }
    }

    pub(crate) fn step(target: &str, timeout: Option<i64>) -> StepSpec {
        StepSpec {
            target: target.into(),
            timeout_secs: timeout,
            priority: None,
            skip_if: vec![],
            order: vec![],
        }
    }

    pub(crate) fn wf(
        name: &str,
        filter: &str,
        tier: Tier,
        esc: Option<&str>,
        steps: Vec<StepSpec>,
    ) -> WorkflowSpec {
        // An empty filter stands for "reached only by escalation".
        let filter = (!filter.is_empty()).then(|| filter.to_string());
        WorkflowSpec {
            name: name.into(),
            filter,
            tier,
            escalate_to: esc.map(Into::into),
            max_wait_secs: None,
            steps,
        }
    }

    fn errors(cfg: &RoutingConfig) -> Vec<(String, String)> {
        match Routing::compile(cfg) {
            Err(DomainError::Invalid(fs)) => fs.into_iter().map(|f| (f.field, f.message)).collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_config_compiles_and_shares_pools() {
        let cfg = RoutingConfig {
            schema: schema(),
            workflows: vec![
                wf(
                    "fibre",
                    "reason == 'after_sales'",
                    Tier::N1,
                    Some("fibre_n2"),
                    vec![
                        step("skills.fibre >= 3", Some(30)),
                        step("skills.fibre >= 1", None),
                    ],
                ),
                wf(
                    "fibre_n2",
                    "false or reason == 'after_sales'",
                    Tier::N2,
                    None,
                    vec![step("skills.fibre >= 1", None)],
                ),
            ],
            ..RoutingConfig::default()
        };
        let r = Routing::compile(&cfg).unwrap();
        assert_eq!(r.pools.len(), 2, "the same target and order share a pool");
        assert_eq!(r.workflows[0].escalate_to, Some(1));
        assert_eq!(r.workflows[0].steps[0].timeout, Some(30_000_000));
    }

    #[test]
    fn every_bad_field_is_reported_with_its_path() {
        let mut bad = step("skills.fibre >= ", Some(10));
        bad.order = vec![OrderKey::Proficiency("cooking".into())];
        bad.skip_if = vec![SkipIf::SiteClosed("lyon".into())];
        let cfg = RoutingConfig {
            schema: schema(),
            offer_timeout_secs: 0,
            service_level_target_percent: 0,
            workflows: vec![
                wf(
                    "a",
                    "channel == 'fax'",
                    Tier::N1,
                    Some("nowhere"),
                    vec![bad, step("tier == 'n1'", Some(5))],
                ),
                wf("a", "true", Tier::N1, None, vec![]),
            ],
            ..RoutingConfig::default()
        };
        let errs = errors(&cfg);
        let want = [
            ("offer_timeout_secs", "must be at least 1 second(s)"),
            ("service_level_target_percent", "must be between 1 and 100"),
            ("workflows[0].filter", "1:12: 'channel' takes one of email, phone, chat, social, letter, found \"fax\""),
            ("workflows[0].steps[0].target", "1:17: expected a value after '>=', found end of input"),
            ("workflows[0].steps[0].order[0]", "unknown skill 'cooking'"),
            ("workflows[0].steps[0].skip_if[0]", "unknown site 'lyon'"),
            ("workflows[0].steps[1].timeout_secs", "the last step has no next step to move to: remove its timeout (the max-wait alert covers stuck contacts)"),
            ("workflows[1].name", "'a' is already the name of workflows[0]"),
            ("workflows[1].steps", "a workflow needs at least one step"),
            ("workflows[0].escalate_to", "no workflow is named 'nowhere'"),
        ];
        for (f, m) in want {
            assert!(
                errs.iter().any(|(ef, em)| ef == f && em == m),
                "missing {f}: {m}\n got {errs:#?}"
            );
        }
        assert_eq!(errs.len(), want.len(), "{errs:#?}");
    }

    #[test]
    fn escalation_cycles_and_downward_escalations_are_refused() {
        let s = || vec![step("true", None)];
        let cfg = RoutingConfig {
            schema: schema(),
            workflows: vec![
                wf("n1", "true", Tier::N1, Some("n2a"), s()),
                wf("n2a", "true", Tier::N2, Some("n2b"), s()),
                wf("n2b", "true", Tier::N2, Some("n2a"), s()),
                wf("expert", "true", Tier::Expert, Some("n1"), s()),
            ],
            ..RoutingConfig::default()
        };
        assert_eq!(
            errors(&cfg),
            vec![
                (
                    "workflows[3].escalate_to".to_string(),
                    "escalation goes up the tiers: 'expert' is expert but 'n1' is n1".to_string()
                ),
                (
                    "workflows[1].escalate_to".to_string(),
                    "escalation cycle: n2a → n2b → n2a".to_string()
                ),
            ]
        );
        let mut ok = cfg.clone();
        ok.workflows[2].escalate_to = Some("expert".into());
        ok.workflows[3].escalate_to = None;
        assert!(Routing::compile(&ok).is_ok());
    }

    #[test]
    fn priority_changes() {
        assert_eq!(PriorityChange::Raise.apply(Priority::Low), Priority::Normal);
        assert_eq!(
            PriorityChange::Raise.apply(Priority::Urgent),
            Priority::Urgent
        );
        assert_eq!(
            PriorityChange::Set(Priority::High).apply(Priority::Low),
            Priority::High
        );
    }
}
