-- 004_awards_badge_person: a person's awards of one badge
-- (storage/migrations/004).
CREATE INDEX awards_badge_person ON awards (badge, person_id, issued_at);
