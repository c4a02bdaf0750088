package orders

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
)

type holdInput struct {
	reason HoldReason
	detail string
}

// hold writes a hold on an order inside tx (the caller settles the state).
func (s *Service) hold(ctx context.Context, tx *sql.Tx, number int64, h holdInput, who string) (Hold, error) {
	out := Hold{Reason: h.reason, Detail: h.detail, CreatedBy: who, CreatedAt: s.clock()}
	if err := tx.QueryRowContext(ctx, `INSERT INTO order_holds (order_id, reason, detail, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, number, h.reason, h.detail, who, out.CreatedAt).Scan(&out.ID); err != nil {
		return out, fmt.Errorf("hold order %d: %w", number, err)
	}
	entry, err := s.record(ctx, tx, number, 0, "held", "", "", who, h.detail, map[string]any{"hold": out.ID, "reason": h.reason})
	if err != nil {
		return out, err
	}
	return out, s.emit(ctx, tx, EventArgs{Event: EventHeld, Order: number, Entry: entry})
}

func checkReason(field, reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	if required && reason == "" {
		return "", apperr.InvalidField(field, "is required: say why, it goes on the order's timeline")
	}
	if utf8.RuneCountInString(reason) > 500 {
		return "", apperr.InvalidField(field, "must be at most 500 characters")
	}
	return reason, nil
}

// Hold puts an order on hold by hand (reason "manual").
func (s *Service) Hold(ctx context.Context, number int64, reason string) (*Order, error) {
	reason, err := checkReason("reason", reason, true)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := s.lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		switch o.State {
		case Cancelled, Shipped, Delivered:
			return errState(number, o.State, "hold it")
		}
		who := actor(ctx, "system:orders")
		if _, err := s.hold(ctx, tx, number, holdInput{HoldManual, reason}, who); err != nil {
			return err
		}
		o.Holds = append(o.Holds, Hold{Reason: HoldManual})
		from, to, err := s.settle(ctx, tx, o)
		if err != nil {
			return err
		}
		if from != to {
			_, err = s.record(ctx, tx, number, 0, "state_changed", string(from), string(to), who, reason, nil)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, number)
}

// ReleaseHold releases one open hold of an order, with a note saying what
// was checked or fixed. When the last hold goes, the order moves on
// (awaiting stock or ready to route).
func (s *Service) ReleaseHold(ctx context.Context, number, holdID int64, note string) (*Order, error) {
	note, err := checkReason("note", note, true)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := s.lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		var h *Hold
		for i := range o.Holds {
			if o.Holds[i].ID == holdID {
				h = &o.Holds[i]
			}
		}
		if h == nil {
			return apperr.New(apperr.NotFound, "order %d has no hold %d", number, holdID)
		}
		if h.ReleasedAt != nil {
			return apperr.New(apperr.Conflict, "hold %d of order %d was already released by %s", holdID, number, h.ReleasedBy)
		}
		if o.State == Cancelled {
			return errState(number, o.State, "release a hold")
		}
		who := actor(ctx, "system:orders")
		now := s.clock()
		if _, err := tx.ExecContext(ctx, `UPDATE order_holds SET released_by = $1, released_at = $2, release_note = $3 WHERE id = $4`,
			who, now, note, holdID); err != nil {
			return fmt.Errorf("release hold %d: %w", holdID, err)
		}
		h.ReleasedAt, h.ReleasedBy = &now, who
		from, to, err := s.settle(ctx, tx, o)
		if err != nil {
			return err
		}
		entry, err := s.record(ctx, tx, number, 0, "hold_released", string(from), string(to), who, note,
			map[string]any{"hold": holdID, "reason": h.Reason})
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, EventArgs{Event: EventReleased, Order: number, Entry: entry}); err != nil {
			return err
		}
		return s.afterChange(ctx, tx, o, from, to, entry)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, number)
}

// openHold returns the open hold of o with reason r, if any.
func (o *Order) openHold(r HoldReason) *Hold {
	for i := range o.Holds {
		if o.Holds[i].Reason == r && o.Holds[i].ReleasedAt == nil {
			return &o.Holds[i]
		}
	}
	return nil
}
