//! Word lists behind the action-item classifier, grouped by the role a word plays.

use super::super::super::text::{Word, base_forms, starts_with_seq};

/// How a verb at the head of an action item bears on the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerbClass {
    /// Asks people to behave differently (`remember`, `follow`, `pay attention`).
    Exhort,
    /// Can be done by people or by the system (`check`, `review`, `test`); cues decide.
    Either,
    /// Builds or changes an artefact (`add`, `automate`, `migrate`).
    Build,
    /// `ensure`: the clause it governs decides.
    Ensure,
    /// `be`, `stay`, `remain`, `become`.
    Copula,
    /// `make`: `make sure` exhorts, `make the tool refuse` builds.
    Make,
    /// `send`, `share`, `announce`: exhorts when what is sent is a message to people.
    Communicate,
}

const VERBS: &[(&str, VerbClass)] = {
    use VerbClass::*;
    &[
        ("remember", Exhort),
        ("forget", Exhort),
        ("follow", Exhort),
        ("adhere", Exhort),
        ("stick", Exhort),
        ("comply", Exhort),
        ("obey", Exhort),
        ("heed", Exhort),
        ("pay", Exhort),
        ("mind", Exhort),
        ("remind", Exhort),
        ("communicate", Exhort),
        ("coordinate", Exhort),
        ("consult", Exhort),
        ("read", Exhort),
        ("learn", Exhort),
        ("study", Exhort),
        ("familiarize", Exhort),
        ("familiarise", Exhort),
        ("understand", Exhort),
        ("know", Exhort),
        ("think", Exhort),
        ("take", Exhort),
        ("try", Exhort),
        ("strive", Exhort),
        ("endeavour", Exhort),
        ("endeavor", Exhort),
        ("aim", Exhort),
        ("avoid", Exhort),
        ("refrain", Exhort),
        ("slow", Exhort),
        ("focus", Exhort),
        ("watch", Exhort),
        ("keep", Exhort),
        ("encourage", Exhort),
        ("emphasize", Exhort),
        ("emphasise", Exhort),
        ("stress", Exhort),
        ("reiterate", Exhort),
        ("reinforce", Exhort),
        ("tell", Exhort),
        ("warn", Exhort),
        ("talk", Exhort),
        ("speak", Exhort),
        ("reach", Exhort),
        ("loop", Exhort),
        ("inform", Exhort),
        ("double", Exhort),
        ("triple", Exhort),
        ("sanity", Exhort),
        ("respect", Exhort),
        ("pair", Exhort),
        ("wait", Exhort),
        ("ask", Exhort),
        ("educate", Exhort),
        ("check", Either),
        ("verify", Either),
        ("validate", Either),
        ("review", Either),
        ("test", Either),
        ("monitor", Either),
        ("inspect", Either),
        ("confirm", Either),
        ("examine", Either),
        ("scan", Either),
        ("look", Either),
        ("observe", Either),
        ("deploy", Either),
        ("merge", Either),
        ("release", Either),
        ("approve", Either),
        ("handle", Either),
        ("ship", Either),
        ("push", Either),
        ("run", Either),
        ("use", Either),
        ("do", Either),
        ("update", Either),
        ("document", Either),
        ("escalate", Either),
        ("respond", Either),
        ("react", Either),
        ("act", Either),
        ("notify", Either),
        ("tag", Either),
        ("rotate", Either),
        ("renew", Either),
        ("restart", Either),
        ("clean", Either),
        ("ensure", Ensure),
        ("assure", Ensure),
        ("guarantee", Ensure),
        ("be", Copula),
        ("stay", Copula),
        ("remain", Copula),
        ("become", Copula),
        ("make", Make),
        ("send", Communicate),
        ("share", Communicate),
        ("announce", Communicate),
        ("circulate", Communicate),
        ("consider", Exhort),
        ("post", Communicate),
        ("email", Communicate),
        ("broadcast", Communicate),
        ("rush", Exhort),
        ("hurry", Exhort),
        ("ignore", Exhort),
        ("hesitate", Exhort),
        ("acknowledge", Either),
        ("declare", Either),
        ("get", Either),
        ("have", Either),
        ("let", Either),
        ("stop", Either),
    ]
};

#[rustfmt::skip]
const BUILD_VERBS: &[&str] = &[
    "add", "create", "build", "implement", "introduce", "write", "automate", "configure", "set",
    "setup", "install", "migrate", "replace", "remove", "delete", "drop", "upgrade",
    "downgrade", "enable", "disable", "instrument", "wire", "move", "split", "refactor",
    "rewrite", "schedule", "hold", "organize", "organise", "host", "roll", "switch", "block",
    "gate", "pin", "cap", "limit", "throttle", "backfill", "fix", "patch", "change", "extend",
    "increase", "reduce", "decrease", "lower", "raise", "tune", "adjust", "deprecate",
    "provision", "expose", "emit", "publish", "put", "require", "enforce", "encrypt", "archive",
    "draft", "file", "open", "track", "record", "log", "measure", "alert", "route", "integrate",
    "connect", "generate", "standardize", "standardise", "consolidate", "separate", "isolate",
    "partition", "shard", "scale", "resize", "extract", "version", "label", "restrict", "lock",
    "revoke", "grant", "audit", "investigate", "evaluate", "assess", "research", "prototype",
    "spike", "benchmark", "discuss", "propose", "prioritize", "prioritise", "plan", "budget",
    "hire", "staff", "assign", "allocate", "fund", "train", "onboard", "turn", "tighten",
    "harden", "bump", "default", "cover", "prevent", "redesign", "design", "page", "backport",
    "cache", "index", "rename", "simplify", "deduplicate", "reject", "deny", "allow",
    "allowlist", "sandbox", "template", "codify", "annotate", "expire", "purge", "improve",
    "foster", "promote", "strengthen", "boost", "enhance", "develop", "run", "replicate",
    "decouple", "retire", "wrap", "detect", "catch", "surface", "display", "show", "link",
    "mark", "fail", "trigger", "cut", "shorten", "lengthen", "sign", "restore", "bake", "embed",
    "subscribe", "hook", "load", "instrumentation", "provide", "offer", "establish", "define",
    "formalize", "formalise", "stand", "spin", "write", "teach", "mandate", "introduce",
    "regenerate",
];

/// The class of `word` as a verb, trying its base forms.
pub fn verb_class(word: &str) -> Option<VerbClass> {
    base_forms(word).iter().find_map(|form| {
        VERBS
            .iter()
            .find(|(verb, _)| verb == form)
            .map(|&(_, class)| class)
            .or_else(|| {
                BUILD_VERBS
                    .contains(&form.as_str())
                    .then_some(VerbClass::Build)
            })
    })
}

/// True when `word` is the bare (imperative) form of a verb we know.
pub fn is_base_verb(word: &str) -> bool {
    VERBS.iter().any(|(verb, _)| *verb == word) || BUILD_VERBS.contains(&word)
}

/// Adverbs and adjectives of diligence: they ask people to try harder whatever the verb.
#[rustfmt::skip]
const DILIGENCE: &[&str] = &[
    "careful", "carefully", "carefulness", "attentive", "attentively", "attention",
    "attentiveness", "diligent", "diligently", "diligence", "vigilant", "vigilantly",
    "vigilance", "thorough", "thoroughly", "thoroughness", "cautious", "cautiously", "caution",
    "mindful", "mindfully", "aware", "awareness", "conscientious", "conscientiously",
    "rigorous", "rigorously", "rigor", "rigour", "closely", "properly", "meticulous",
    "meticulously", "scrupulous", "scrupulously", "prudent", "proactive", "proactively",
    "harder", "twice", "alertness", "wary", "sure", "accountable",
];

/// Comparatives that exhort only next to a behaviour verb (`test more`, `respond faster`).
#[rustfmt::skip]
const SOFT_DILIGENCE: &[&str] = &[
    "better", "faster", "quicker", "sooner", "promptly", "quickly", "more", "extra", "closer",
    "timely", "responsibly", "consistently", "clearer", "cleaner", "clearly", "smaller",
    "earlier",
];

/// Nouns for behaviour, not artefacts: improving them is an exhortation.
#[rustfmt::skip]
const BEHAVIOUR_NOUNS: &[&str] = &[
    "communication", "communications", "awareness", "attention", "vigilance", "diligence",
    "care", "caution", "discipline", "culture", "mindset", "rigor", "rigour", "accountability",
    "ownership", "collaboration", "coordination", "understanding", "knowledge", "alertness",
    "carefulness", "focus", "habits", "habit", "hygiene", "professionalism", "effort",
    "importance", "opinion", "eyes", "responsibility",
];

/// Words naming something that acts without anyone remembering to: a mechanism.
#[rustfmt::skip]
const MECHANISMS: &[&str] = &[
    "automatically", "automatic", "automated", "automation", "ci", "cd", "pipeline",
    "pipelines", "lint", "linter", "linters", "linting", "hook", "hooks", "precommit", "bot",
    "bots", "cron", "codeowners", "gate", "gates", "alert", "alerts", "alerting", "alarm",
    "alarms", "probe", "probes", "synthetic", "canary", "flag", "flags", "toggle", "toggles",
    "job", "jobs", "workflow", "workflows", "script", "scripts", "calendar", "compiler",
    "validator", "constraint", "constraints", "webhook", "monitoring", "scheduler", "enforced",
    "enforcement", "protection", "policy",
];

/// Words naming an artefact of the system: things one can add, change or remove.
#[rustfmt::skip]
const ARTEFACTS: &[&str] = &[
    "test", "tests", "fixture", "fixtures", "type", "types", "enum", "schema", "schemas",
    "runbook", "runbooks", "playbook", "playbooks", "doc", "docs", "documentation", "wiki",
    "dashboard", "dashboards", "panel", "panels", "graph", "metric", "metrics", "slo", "slos",
    "sli", "log", "logs", "logging", "trace", "traces", "tracing", "drill", "drills", "gameday",
    "exercise", "session", "sessions", "workshop", "training", "course", "module", "checklist",
    "template", "reminder", "roadmap", "ticket", "epic", "backlog", "okr", "rotation",
    "escalation", "limit", "limits", "limiting", "quota", "timeout", "timeouts", "retry",
    "retries", "backoff", "breaker", "config", "configuration", "setting", "settings",
    "endpoint", "api", "cli", "command", "tool", "tooling", "library", "sdk", "wrapper",
    "index", "migration", "migrations", "backup", "backups", "snapshot", "replica", "failover",
    "fallback", "cache", "queue", "lease", "image", "dockerfile", "helm", "chart", "secret",
    "secrets", "vault", "credentials", "rule", "rules", "check", "checks", "step", "stage",
    "requirement", "approvals", "permission", "permissions", "role", "iam", "account",
    "accounts", "mode", "banner", "switch", "game", "chaos", "catalogue", "catalog", "version",
    "driver", "field", "column", "table", "service", "stub", "mock", "spec", "contract",
    "owner", "owners", "priority", "onboarding", "handbook", "guide", "page", "status",
];

pub fn is_diligence(word: &Word) -> bool {
    DILIGENCE.contains(&word.text.as_str())
}

pub fn is_soft_diligence(word: &Word) -> bool {
    SOFT_DILIGENCE.contains(&word.text.as_str())
}

pub fn is_behaviour_noun(word: &Word) -> bool {
    BEHAVIOUR_NOUNS.contains(&word.text.as_str())
}

pub fn is_mechanism(words: &[Word], at: usize) -> bool {
    let Some(word) = words.get(at) else {
        return false;
    };
    MECHANISMS.contains(&word.text.as_str())
        || starts_with_seq(words, at, &["kill", "switch"])
        || starts_with_seq(words, at, &["health", "check"])
        || starts_with_seq(words, at, &["pre", "commit"])
        || starts_with_seq(words, at, &["pre", "merge"])
        || starts_with_seq(words, at, &["branch", "protection"])
}

/// Messages to people: sending one asks them to remember something.
#[rustfmt::skip]
const MESSAGES: &[&str] = &[
    "email", "emails", "message", "messages", "reminder", "reminders", "note", "notes",
    "announcement", "announcements", "memo", "memos", "post", "newsletter", "learnings",
    "lessons", "guidance", "reminding", "warning", "warnings",
];

pub fn is_message(word: &Word) -> bool {
    MESSAGES.contains(&word.text.as_str())
}

pub fn is_artefact(word: &Word) -> bool {
    ARTEFACTS.contains(&word.text.as_str()) || MECHANISMS.contains(&word.text.as_str())
}

/// People, as the subject of a sentence: `engineers should ...`, `the team needs to ...`.
#[rustfmt::skip]
const PEOPLE: &[&str] = &[
    "we", "us", "you", "they", "everyone", "everybody", "anyone", "anybody", "someone",
    "somebody", "people", "folks", "engineer", "engineers", "developer", "developers", "dev",
    "devs", "team", "teams", "staff", "sre", "sres", "ops", "operator", "operators",
    "responder", "responders", "reviewer", "reviewers", "author", "authors", "qa", "tester",
    "testers", "admin", "admins", "administrator", "administrators", "dba", "dbas", "manager",
    "managers", "lead", "leads", "deployer", "deployers", "oncall", "intern", "interns", "hire",
    "hires", "newcomer", "newcomers", "member", "members", "i", "he", "she", "whoever",
    "contributor", "contributors", "maintainer", "maintainers", "employee", "employees",
    "colleague", "colleagues", "person", "individual", "individuals", "humans", "all", "each",
    "owner", "owners", "approver", "approvers",
];

pub fn is_person(words: &[Word], at: usize) -> bool {
    words
        .get(at)
        .is_some_and(|w| PEOPLE.contains(&w.text.as_str()))
        || (at >= 1 && starts_with_seq(words, at - 1, &["on", "call"]))
}

/// Nouns of events that recur: `after every deploy` is a habit, `every quarter` a schedule.
const SCHEDULE_UNITS: &[&str] = &[
    "day", "week", "month", "quarter", "year", "sprint", "hour", "minute", "minutes", "hours",
    "days", "weeks", "months", "night", "morning", "cycle", "other",
];

pub fn is_schedule_unit(word: &Word) -> bool {
    SCHEDULE_UNITS.contains(&word.text.as_str()) || word.text.chars().all(|c| c.is_ascii_digit())
}
