package jobs

// SetChunk makes s read and judge blocks of at most n people, so that
// tests see a sweep of several blocks.
func (s *Sweeper) SetChunk(n int) { s.chunk = n }

// ScanWorkers is how many blocks s reads at once.
func (s *Sweeper) ScanWorkers() int { return s.scanWorkers() }
