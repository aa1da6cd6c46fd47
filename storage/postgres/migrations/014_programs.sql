-- 014_programs (storage/migrations/014): the program a badge belongs to
-- and the program whose issuer signed an award; '' is the instance's.
ALTER TABLE badges ADD COLUMN program TEXT NOT NULL DEFAULT '';
ALTER TABLE awards ADD COLUMN program TEXT NOT NULL DEFAULT '';
