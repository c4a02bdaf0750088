package orders

import (
	"context"
	"database/sql"
)

// NoticeActor is the timeline actor of customer notifications.
const NoticeActor = "system:notify"

// RecordNotice writes an entry about a customer notification on order
// number's timeline, in its own transaction, with actor "system:notify"
// (internal/notify records a notice that could not be sent this way, so staff
// see it with the rest of the order). detail, when not nil, is stored as JSON.
// It returns the entry's id.
func (s *Service) RecordNotice(ctx context.Context, number int64, event, reason string, detail any) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.record(ctx, tx, number, 0, event, "", "", NoticeActor, reason, detail)
		return err
	})
	return id, err
}
