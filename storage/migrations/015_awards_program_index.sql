-- The start's check that every program awards were issued under is still
-- configured reads the distinct programs of awards by seeking this index
-- (one seek per program), not by scanning every award.
CREATE INDEX awards_program ON awards (program);
