-- Seed for bench/graphql.sh: 50 people, 1,000 post-mortems with 20 timeline
-- entries, 4 causes, 5 owned action items, an author and a reviewer each.
BEGIN;
INSERT INTO people (id, display_name, email, team, role_title, joined_on, github_login, version, created_at, updated_at)
SELECT gen_random_uuid(), 'Person ' || n, 'person' || n || '@example.com',
       (ARRAY['sre', 'payments', 'web', 'data', 'mobile'])[1 + n % 5], 'Engineer',
       DATE '2024-01-01' + n * 7, 'person' || n, 1, now(), now()
FROM generate_series(1, 50) AS n;

CREATE TEMP TABLE staff AS SELECT id, row_number() OVER (ORDER BY id) AS n FROM people;

INSERT INTO postmortems (id, title, summary, status, severity, impact_started_at, detected_at,
                         acknowledged_at, mitigated_at, resolved_at, author_id, anonymized,
                         version, created_at, updated_at)
SELECT gen_random_uuid(), 'Incident ' || n || ': checkout returned errors',
       'A deploy changed a timeout; card payments failed for some users.',
       (ARRAY['draft', 'in_review', 'published'])[1 + n % 3],
       'sev' || (1 + n % 4),
       t, t + (n % 60 + 1) * interval '1 minute', t + (n % 60 + 6) * interval '1 minute',
       t + (n % 90 + 30) * interval '1 minute', t + (n % 300 + 120) * interval '1 minute',
       (SELECT id FROM staff WHERE staff.n = 1 + g.n % 50), true, 1, t, t
FROM (SELECT n, timestamptz '2026-01-01' + n * interval '7 hours' AS t
      FROM generate_series(1, 1000) AS n) AS g;

CREATE TEMP TABLE pms AS SELECT id, author_id, impact_started_at AS t, row_number() OVER (ORDER BY id) AS n FROM postmortems;

INSERT INTO postmortem_services (postmortem_id, service, position)
SELECT id, (ARRAY['checkout', 'payments', 'search', 'auth', 'orders', 'mobile-api', 'email', 'ledger'])[1 + n % 8], 0 FROM pms
UNION ALL
SELECT id, (ARRAY['checkout', 'payments', 'search', 'auth', 'orders', 'mobile-api', 'email', 'ledger'])[1 + (n + 3) % 8], 1 FROM pms;

INSERT INTO participants (postmortem_id, person_id, role, created_at)
SELECT id, author_id, 'author', t FROM pms
UNION ALL
SELECT pms.id, reviewer.id, 'reviewer', pms.t
FROM pms JOIN staff author ON author.id = pms.author_id
JOIN staff reviewer ON reviewer.n = 1 + author.n % 50;

INSERT INTO timeline_entries (id, postmortem_id, occurred_at, kind, source, title, description, version, created_at, updated_at)
SELECT gen_random_uuid(), pms.id, pms.t + e * interval '3 minutes',
       (ARRAY['alert.triggered', 'note', 'deploy.started', 'deploy.succeeded', 'detected'])[1 + e % 5],
       'manual', 'Step ' || e || ' of the response', 'Responders looked at the dashboards and the deploy log.',
       1, pms.t, pms.t
FROM pms, generate_series(1, 20) AS e;

INSERT INTO causes (id, postmortem_id, area, description, version, created_at, updated_at)
SELECT gen_random_uuid(), pms.id, (ARRAY['prevention', 'detection', 'mitigation', 'detection'])[c],
       'The timeout change was not covered by a test', 1, pms.t, pms.t
FROM pms, generate_series(1, 4) AS c;

INSERT INTO action_items (id, postmortem_id, area, title, description, owner_id, due_date, priority,
                          status, sync_state, completed_at, version, created_at, updated_at)
SELECT gen_random_uuid(), pms.id, (ARRAY['prevention', 'detection', 'mitigation', 'detection', 'prevention'])[i],
       'Add an alert on checkout success rate (' || i || ')', 'Page when it drops below 95% for 5 minutes.',
       staff.id, (pms.t + interval '30 days')::date, 'high',
       (ARRAY['open', 'in_progress', 'done', 'done', 'wont_do'])[i], 'not_synced',
       CASE WHEN i IN (3, 4) THEN pms.t + i * interval '2 days' END, 1, pms.t, pms.t
FROM pms, generate_series(1, 5) AS i JOIN staff ON true
WHERE staff.n = 1 + (pms.n + i) % 50;
COMMIT;
ANALYZE;
