-- 014_programs: the program ([[programs]] slug) a badge belongs to, and
-- the program whose issuer signed an award. An award keeps the program it
-- was issued under, so that moving its badge into (or out of) a program
-- changes new awards only. '' is the instance's own issuer, as every
-- badge and award made before programs existed.
ALTER TABLE badges ADD COLUMN program TEXT NOT NULL DEFAULT '';
ALTER TABLE awards ADD COLUMN program TEXT NOT NULL DEFAULT '';
