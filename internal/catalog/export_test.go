package catalog

// SetSelectiveThreshold sets the search selectivity threshold for a test and
// returns a function that restores it.
func SetSelectiveThreshold(n int) (restore func()) {
	old := selectiveThreshold
	selectiveThreshold = n
	return func() { selectiveThreshold = old }
}
