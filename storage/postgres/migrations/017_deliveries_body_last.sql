-- Mirrors SQLite's 017, which moves a delivery's body to the end of its
-- row so that completing the delivery no longer rewrites the body's last
-- page. PostgreSQL keeps a body this large out of line (013), and an
-- update copies only the pointer to it: nothing to change here.
SELECT 1;
