package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/store"
)

// SendConfirmationArgs is a job a domain service would enqueue.
type SendConfirmationArgs struct {
	OrderID int64 `json:"order_id"`
}

func (SendConfirmationArgs) Kind() string { return "send_confirmation" }

// InsertOpts gives every job of this kind its options.
func (SendConfirmationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10}
}

// Enqueue a job in the same transaction as the business change: if the
// transaction rolls back, the job never exists.
func ExampleQueue_InsertTx() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "orderly-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "orderly.db"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, nil); err != nil {
		log.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{InsertOnly: true})
	if err != nil {
		log.Fatal(err)
	}

	err = db.InTx(ctx, func(tx *sql.Tx) error {
		// ... write the order with tx ...
		_, err := q.InsertTx(ctx, tx, SendConfirmationArgs{OrderID: 42})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	counts, err := jobs.CountByState(ctx, db.R)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("available jobs:", counts["available"])
	// Output: available jobs: 1
}
