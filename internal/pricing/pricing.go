// Package pricing keeps prices at the target margin when supplier costs
// move: pricing rules per store, collection (tag) and SKU, proposals that
// wait for approval when a change is too large, and the price history of
// every SKU.
package pricing

// RepriceArgs is the job that recomputes the prices of variants whose costs
// changed. Whoever changes a cost (a supplier feed run, an offer edit)
// enqueues it in the same transaction as the change.
type RepriceArgs struct {
	VariantIDs []int64 `json:"variant_ids"`
	// Reason says what changed the costs, for the price history
	// (e.g. "feed run 42 of Lisboa Cerâmica").
	Reason string `json:"reason"`
}

// Kind is the River job kind.
func (RepriceArgs) Kind() string { return "reprice" }
