package sqslocal

import "time"

// SetClock makes the server read the time from now, for tests of limits
// counted from a message's receive.
func (s *Server) SetClock(now func() time.Time) { s.now = now }
