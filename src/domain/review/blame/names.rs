//! People the directory has never heard of, recognized by how a sentence names them:
//! a given name from a list, or a word written like a name (`Okafor`, `Seo-yeon`) that is
//! neither an everyday English word nor the name of a system.
//!
//! The lists and their licences are in `../lexicon/SOURCES.md`.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::super::super::text::{Case, Word};

/// Given names from the 1990 US Census (public domain), lower-cased.
static GIVEN_NAMES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("../lexicon/given_names.txt").lines().collect());

/// Everyday English words (SCOWL sizes 10 to 35), lower-cased.
static ENGLISH_WORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../lexicon/english_words.txt")
        .lines()
        .collect()
});

/// Words written like names that name systems, vendors, places and times instead: the
/// everyday vocabulary of incident write-ups that an English word list does not hold.
#[rustfmt::skip]
const NOT_PEOPLE: &[&str] = &[
    // time
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "christmas", "easter", "utc", "pst", "cet",
    // places and clouds
    "europe", "asia", "africa", "america", "us", "eu", "apac", "emea", "aws", "gcp", "azure",
    // systems and vendors
    "kubernetes", "k8s", "kubectl", "terraform", "terragrunt", "pulumi", "ansible", "puppet",
    "chef", "helm", "argo", "argocd", "flux", "spinnaker", "jenkins", "circleci", "buildkite",
    "github", "gitlab", "bitbucket", "jira", "confluence", "slack", "zoom", "teams", "pagerduty",
    "opsgenie", "datadog", "grafana", "prometheus", "alertmanager", "sentry", "splunk", "kibana",
    "elasticsearch", "logstash", "loki", "jaeger", "honeycomb", "newrelic", "postgres",
    "postgresql", "psql", "mysql", "mariadb", "sqlite", "mongodb", "mongo", "redis", "memcached",
    "cassandra", "kafka", "zookeeper", "rabbitmq", "nats", "celery", "sidekiq", "airflow",
    "spark", "hadoop", "snowflake", "bigquery", "redshift", "dynamodb", "nginx", "haproxy",
    "envoy", "istio", "traefik", "varnish", "cloudflare", "fastly", "akamai", "cloudfront",
    "cloudwatch", "lambda", "ec2", "s3", "rds", "route53", "vault", "consul", "nomad", "docker",
    "podman", "linux", "ubuntu", "debian", "windows", "macos", "android", "ios", "chrome",
    "firefox", "safari", "okta", "auth0", "stripe", "twilio", "zendesk", "heroku", "vercel",
    "netlify", "java", "python", "ruby", "rails", "django", "node", "nodejs", "golang", "rust",
    "cron", "crontab", "systemd", "bash", "git", "npm", "pip", "cargo", "maven", "gradle",
    // the vocabulary of operations
    "runbook", "runbooks", "rollback", "rollbacks", "failover", "failovers", "deploy",
    "deploys", "deployer", "hotfix", "hotfixes", "rollout", "rollouts", "prod", "staging",
    "latency", "autoscaler", "autoscaling", "webhook", "webhooks", "config", "configs", "repo",
    "repos", "backend", "backends", "frontend", "frontends", "middleware", "healthcheck",
    "dns", "api", "apis", "cdn", "tls", "ssl", "cpu", "vpn", "sso", "oauth", "json", "yaml",
    "p99", "p95", "qps", "rps", "ttl", "oom", "lol", "tbh", "imo", "fyi", "asap", "eta", "ok",
];

/// Endings of nouns for things and activities, rarely of names: `Autoscaling`, `Rotation`.
const THING_ENDINGS: &[&str] = &[
    "ing", "tion", "sion", "ment", "ness", "ity", "ism", "ics", "ware", "ops", "able", "ible",
];

/// Words before a noun that make what follows a thing's name: "the Acme contractor",
/// "our Redis cluster".
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "this", "that", "these", "those", "our", "their", "its", "your", "my", "his",
    "her", "every", "each", "no", "some", "any",
];

fn is_letters(word: &str) -> bool {
    word.chars().count() >= 2 && word.chars().all(char::is_alphabetic)
}

fn thing_shaped(word: &str) -> bool {
    THING_ENDINGS
        .iter()
        .any(|end| word.len() > end.len() + 3 && word.ends_with(end))
}

/// True for a given name from the list.
pub fn is_given_name(word: &str) -> bool {
    GIVEN_NAMES.contains(word)
}

/// True for a word of everyday English (not counting names).
pub fn is_english_word(word: &str) -> bool {
    ENGLISH_WORDS.contains(word)
}

/// True when `words[at]` is written where a clause starts, so its capital says nothing.
fn opens_clause(words: &[Word], at: usize) -> bool {
    let mut before = at;
    while before > 0
        && matches!(
            words[before - 1].text.as_str(),
            "\"" | "(" | "'" | "\u{201c}"
        )
    {
        before -= 1;
    }
    before == 0 || words[before - 1].ends_clause()
}

/// Whether `words[at]` names a person who need not be in the directory.
pub fn names_a_person(words: &[Word], at: usize) -> bool {
    let word = &words[at];
    let text = word.text.as_str();
    if word.case == Case::Mixed || !is_letters(text) || NOT_PEOPLE.contains(&text) {
        return false;
    }
    let after_determiner = at > 0 && DETERMINERS.contains(&words[at - 1].text.as_str());
    if after_determiner {
        return false;
    }
    let opens = opens_clause(words, at);
    let titled = word.case == Case::Title;
    let common = is_english_word(text);
    if is_given_name(text) {
        // "Will", "Mark", "Grant": a name only where a capital is a cue.
        return !common || (titled && !opens) || surname_follows(words, at);
    }
    if common || thing_shaped(text) {
        return false;
    }
    // A word no list knows: a name when written as one, or when it opens a chat-style
    // sentence ("kenji pushed a typo").
    titled || opens
}

/// "Grant Okafor": a capitalized word no list knows right after a given name.
fn surname_follows(words: &[Word], at: usize) -> bool {
    words.get(at + 1).is_some_and(|next| {
        next.case == Case::Title
            && !next.joined
            && is_letters(&next.text)
            && !is_english_word(&next.text)
            && !NOT_PEOPLE.contains(&next.text.as_str())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::super::super::text::words;
    use super::*;

    fn people_in(text: &str) -> Vec<String> {
        let words = words(text);
        (0..words.len())
            .filter(|&at| names_a_person(&words, at))
            .map(|at| words[at].text.clone())
            .collect()
    }

    #[test]
    fn names_are_found_by_the_list_and_by_how_they_are_written() {
        assert_eq!(people_in("Okafor paged Ingrid"), ["okafor", "ingrid"]);
        assert_eq!(people_in("The runbook was ignored by Zoë"), ["zoë"]);
        assert_eq!(people_in("tom merged it"), ["tom"]);
    }

    #[test]
    fn systems_months_and_everyday_words_are_not_people() {
        assert!(people_in("Kubernetes failed to schedule the pod in May").is_empty());
        assert!(people_in("Replication lag grew while PagerDuty paged nobody").is_empty());
        assert!(people_in("The Acme contractor will mark it done").is_empty());
    }

    #[test]
    fn a_given_name_that_is_also_a_word_needs_a_capital_mid_sentence() {
        assert_eq!(people_in("The page went to Will"), ["will"]);
        assert!(people_in("We will grant access").is_empty());
    }
}
