package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/digests"
	"github.com/orderly-oms/orderly/internal/scorecards"
)

// registerFollowup registers the daily follow-up with suppliers
// (docs/followup.md): the staff's supplier scorecards and the digests each
// supplier was sent.
func (s *Server) registerFollowup() {
	operation(s, huma.Operation{OperationID: "list-supplier-scorecards", Method: http.MethodGet, Path: "/suppliers/scorecards",
		Summary: "Supplier scorecards", Tags: []string{"Suppliers"},
		Description: "For every supplier: the purchase-order lines sent to it in the last `days` days, how fast it answered " +
			"(median and 90th percentile, and the share answered by the deadline), the share of units it rejected, the share " +
			"of shipment lines shipped by the order's ship-by day (in the supplier's time zone), and the lines open now " +
			"(unanswered, past the deadline, late to ship)."},
		auth.SuppliersRead, s.listScorecards)
	operation(s, huma.Operation{OperationID: "list-supplier-digests", Method: http.MethodGet, Path: "/suppliers/{id}/digests",
		Summary: "A supplier's daily digests", Tags: []string{"Suppliers"},
		Description: "The daily summaries built for the supplier, newest first, with their status (sent, failed, " +
			"no_recipient, empty) and text."},
		auth.SuppliersRead, s.listSupplierDigests)
	operation(s, huma.Operation{OperationID: "list-own-digests", Method: http.MethodGet, Path: "/supplier/digests",
		Summary: "Your daily digests (supplier users)", Tags: []string{"Supplier portal"},
		Description: "The daily summaries built for the caller's supplier, newest first."},
		auth.SupplierPortal, s.listOwnDigests)
}

type scorecardsInput struct {
	Days int `query:"days" default:"30" minimum:"1" maximum:"365" doc:"The window: purchase orders sent and shipments made in the last days"`
}

type scorecardsOutput struct {
	Body struct {
		From  time.Time              `json:"from"`
		To    time.Time              `json:"to"`
		Cards []scorecards.Scorecard `json:"suppliers"`
	}
}

func (s *Server) listScorecards(ctx context.Context, in *scorecardsInput) (*scorecardsOutput, error) {
	now := s.now().UTC()
	from := now.AddDate(0, 0, -in.Days)
	cards, err := scorecards.Compute(ctx, s.cfg.DB.R, from, now, now)
	if err != nil {
		return nil, err
	}
	out := &scorecardsOutput{}
	out.Body.From, out.Body.To, out.Body.Cards = from, now, cards
	return out, nil
}

type digestsInput struct {
	ID    int64 `path:"id" minimum:"1"`
	Limit int   `query:"limit" default:"30" minimum:"1" maximum:"100"`
}

type digestsOutput struct {
	Body struct {
		Items []digests.Stored `json:"items" nullable:"false"`
	}
}

func digestList(list []digests.Stored) *digestsOutput {
	out := &digestsOutput{}
	out.Body.Items = list
	return out
}

func (s *Server) listSupplierDigests(ctx context.Context, in *digestsInput) (*digestsOutput, error) {
	if _, err := s.cfg.Suppliers.Supplier(ctx, in.ID); err != nil {
		return nil, err
	}
	list, err := s.cfg.Digests.List(ctx, in.ID, in.Limit)
	if err != nil {
		return nil, err
	}
	return digestList(list), nil
}

type ownDigestsInput struct {
	Limit int `query:"limit" default:"30" minimum:"1" maximum:"100"`
}

func (s *Server) listOwnDigests(ctx context.Context, in *ownDigestsInput) (*digestsOutput, error) {
	sup, err := callerSupplier(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.cfg.Digests.List(ctx, sup, in.Limit)
	if err != nil {
		return nil, err
	}
	return digestList(list), nil
}
