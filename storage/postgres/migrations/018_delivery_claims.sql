-- 018_delivery_claims (PostgreSQL only): a replica claims the pending
-- deliveries it reads for processing, naming itself (replicas.go), and the
-- others skip them while it beats. Before, every replica read, decoded and
-- normalised every pending delivery and all but one then lost the race to
-- complete it, waiting on its row lock: two replicas awarded a third
-- slower than one (cmd/loadgen -pg). A cleanly stopped replica's claims
-- are free at once, a killed one's once its beats are ten seconds old.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
