package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestTwoInstancesRaceForTheLastUnits runs two "orderly serve" processes on
// one PostgreSQL database with one SKU of exactly 10 units, and 64 clients
// split across both, each placing a 1-unit order at the same moment: exactly
// 10 orders are created (201) and 54 refused (409), 10 units are reserved
// and nothing is left to sell.
func TestTwoInstancesRaceForTheLastUnits(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.Postgres) { // fails in CI without PostgreSQL
		t.Skipf("needs PostgreSQL: set %s", storetest.PostgresEnv)
	}
	bin := orderlyBinary(t)
	dsn := storetest.DSN(t, store.Postgres)
	// One SKU: its only offer (at a supplier without a buffer) reports 10.
	cat := seedStore(t, dsn, 1, 10)
	sku := cat.SKUs[0]
	token := cliToken(t, bin, dsn)
	servers := []*proc{startServe(t, bin, dsn), startServe(t, bin, dsn)}
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.baseURL(t))
	}

	const clients = 64
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	statuses := make([]int, clients)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			body := orderBody(fmt.Sprintf("last-%d", i), fmt.Sprintf("buyer%d@example.com", i), []sentLine{{SKU: sku.SKU, Quantity: 1}})
			<-start
			status, b, err := postOrder(context.Background(), client, urls[i%2], token, body)
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			if status != http.StatusCreated && status != http.StatusConflict {
				t.Errorf("client %d: %d %s", i, status, b)
			}
			statuses[i] = status
		})
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	perServer := [2]map[int]int{{}, {}}
	for i, s := range statuses {
		count[s]++
		perServer[i%2][s]++
	}
	t.Logf("instance 0: %v, instance 1: %v", perServer[0], perServer[1])
	if count[http.StatusCreated] != 10 || count[http.StatusConflict] != 54 {
		t.Errorf("got %d created and %d refused, want 10 and 54", count[http.StatusCreated], count[http.StatusConflict])
	}

	db, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var reserved, ats, orders, units int
	if err := db.R.QueryRow(`SELECT reserved FROM stock_positions WHERE offer_id = $1`, sku.Offer).Scan(&reserved); err != nil {
		t.Fatal(err)
	}
	if err := db.R.QueryRow(`SELECT ats FROM stock_levels WHERE variant_id = $1`, sku.Variant).Scan(&ats); err != nil {
		t.Fatal(err)
	}
	if err := db.R.QueryRow(`SELECT COUNT(DISTINCT order_id), COALESCE(SUM(qty_reserved), 0) FROM order_lines`).Scan(&orders, &units); err != nil {
		t.Fatal(err)
	}
	if reserved != 10 || ats != 0 || orders != 10 || units != 10 {
		t.Errorf("reserved %d, ATS %d, %d orders holding %d units; want 10, 0, 10, 10", reserved, ats, orders, units)
	}
	stockInvariants(t, db)
}
