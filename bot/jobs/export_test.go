package jobs

// SetChunk makes s read and judge blocks of at most n people, so that
// tests see a sweep of several blocks.
func (s *Sweeper) SetChunk(n int) { s.chunk = n }
