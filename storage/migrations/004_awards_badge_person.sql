-- 004_awards_badge_person: find a person's awards of one badge without
-- reading every award of the badge.
--
-- "Does this person already hold this badge?" is asked before every award
-- (bot.Service.Award, bot.Rules.Evaluate, CreateAward). With only
-- awards_badge and awards_person to choose from, SQLite picked
-- awards_badge and read every award of the badge, and the row of each to
-- test person_id, so each new award of a popular badge cost more than the
-- one before, inside the single writer's transaction.
CREATE INDEX awards_badge_person ON awards (badge, person_id, issued_at);
