package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/demo"
	"github.com/orderly-oms/orderly/internal/mail/mailtest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

// TestDemoOrderFlow is issue 7's "done when" on the real binary: serve
// --demo with an SMTP server; an order for the email supplier's SKU is
// routed to it, its purchase order arrives by email with the order's line
// and address (and nothing of another order), the supplier's demo user logs
// in, accepts the line and ships it with a UPS tracking number, a signed
// tracking event delivers it, and the order's timeline holds every step with
// who did it.
func TestDemoOrderFlow(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			demoOrderFlow(t, e)
		})
	}
}

// flowClient calls the API of a server under test.
type flowClient struct {
	t      *testing.T
	base   string
	token  string // bearer token; empty: the cookie jar's session
	client *http.Client
}

// do sends a JSON request and decodes a JSON answer into out, failing the
// test unless the status is want.
func (c flowClient) do(method, path string, body any, want int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

// waitFor polls cond until it holds, failing the test after a deadline
// (generous: the purchase-order send job runs once a minute).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 3 minutes for %s (routing runs on the order events routing subscribes to in cmd/orderly/app.go; "+
				"the PO send job runs every minute)", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const (
	flowTracking = "1Z999AA10123456784" // a UPS number with a valid check digit
	flowSecret   = "flow-test-tracking-secret"
)

func demoOrderFlow(t *testing.T, e store.Engine) {
	smtp := mailtest.Start(t)
	ms := smtp.Settings()
	bin := orderlyBinary(t)
	dsn := storetest.DSN(t, e)
	srv := startServe(t, bin, dsn, "--demo", "--smtp-host", ms.Host, "--smtp-port", strconv.Itoa(ms.Port), "--smtp-tls", "none",
		"--tracking-webhook-secret", flowSecret)
	base := srv.baseURL(t)
	staff := flowClient{t: t, base: base, token: cliToken(t, bin, dsn), client: &http.Client{Timeout: 30 * time.Second}}

	// Another customer's order, to Britain for a SKU the email supplier
	// does not offer: it must not show in the email supplier's PO.
	other := placeFlowOrder(t, staff, "FLOW-OTHER", "Bob Smith", map[string]any{"name": "Bob Smith",
		"line1": "1 High Street", "city": "London", "postal_code": "SW1A 1AA", "country": "GB"}, demo.FirstSKU, 1)
	n := placeFlowOrder(t, staff, "FLOW-1", "Giulia Rossi", map[string]any{"name": "Giulia Rossi",
		"line1": "Via Roma 10", "city": "Milano", "postal_code": "20121", "country": "IT"}, demo.EmailSupplierSKU, 2)

	// Routed by the Italy rule to the email supplier.
	var routing struct {
		Decisions []struct {
			Actor    string `json:"actor"`
			Trigger  string `json:"trigger"`
			Decision struct {
				RuleName string `json:"rule_name"`
				Lines    []struct {
					Parts []struct {
						SupplierName string `json:"supplier_name"`
						Quantity     int    `json:"quantity"`
					} `json:"parts"`
					Why string `json:"why"`
				} `json:"lines"`
			} `json:"decision"`
		} `json:"decisions"`
	}
	waitFor(t, "the order to be routed", func() bool {
		staff.do("GET", fmt.Sprintf("/api/v1/orders/%d/routing", n), nil, http.StatusOK, &routing)
		return len(routing.Decisions) > 0
	})
	d := routing.Decisions[0]
	if d.Trigger != "confirmed" || len(d.Decision.Lines) != 1 || len(d.Decision.Lines[0].Parts) != 1 ||
		d.Decision.Lines[0].Parts[0].SupplierName != demo.EmailSupplier || d.Decision.Lines[0].Parts[0].Quantity != 2 {
		t.Fatalf("routing decision = %+v, want line 1 whole to %s", d, demo.EmailSupplier)
	}
	t.Logf("routed by rule %q: %s", d.Decision.RuleName, d.Decision.Lines[0].Why)

	// The purchase order arrives by email, its CSV holding this order's line
	// and address only. (The supplier's daily digest may come too.)
	var msg mailtest.Message
	waitFor(t, "the purchase order email", func() bool {
		pos := poEmails(smtp.Messages())
		if len(pos) > 0 {
			msg = pos[0]
		}
		return len(pos) > 0
	})
	if !slices.Equal(msg.To, []string{demo.EmailSupplierTo}) {
		t.Fatalf("PO email to %v, want %s", msg.To, demo.EmailSupplierTo)
	}
	poNumber := msg.Header.Get("X-Orderly-PO")
	// The demo's email supplier reads Italian.
	if !strings.HasPrefix(msg.Subject, "Ordine d'acquisto "+poNumber+" ") {
		t.Fatalf("PO email subject %q, want Italian for %s", msg.Subject, poNumber)
	}
	att, ok := msg.Attachment(poNumber + ".csv")
	if !ok {
		t.Fatalf("no %s.csv attached: %+v", poNumber, msg.Attachments)
	}
	rows, err := csv.NewReader(bytes.NewReader(att.Data)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("PO CSV: %v: %s", err, att.Data)
	}
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	if row["order_id"] != strconv.FormatInt(n, 10) || row["sku"] != demo.EmailSupplierSKU || row["quantity"] != "2" ||
		row["ship_name"] != "Giulia Rossi" || row["ship_line1"] != "Via Roma 10" || row["ship_country"] != "IT" {
		t.Errorf("PO CSV row = %v", row)
	}

	// The supplier's user logs in and answers in the supplier console's API.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	sup := flowClient{t: t, base: base, client: &http.Client{Timeout: 30 * time.Second, Jar: jar}}
	res, err := sup.client.PostForm(base+"/login", url.Values{"email": {demo.EmailSupplierLogin}, "password": {demo.Password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if u, _ := url.Parse(base); res.StatusCode != http.StatusOK || len(jar.Cookies(u)) == 0 {
		t.Fatalf("supplier login: %d, cookies %v", res.StatusCode, jar.Cookies(u))
	}
	poID := strings.TrimPrefix(poNumber, "PO-")
	var po struct {
		State string `json:"state"`
		Lines []struct {
			ID      int64 `json:"id"`
			OrderID int64 `json:"order_id"`
			Pending int   `json:"pending"`
		} `json:"lines"`
	}
	sup.do("GET", "/api/v1/supplier/purchase-orders/"+poID, nil, http.StatusOK, &po)
	if po.State != "sent" || len(po.Lines) != 1 || po.Lines[0].OrderID != n || po.Lines[0].Pending != 2 {
		t.Fatalf("the supplier's PO = %+v", po)
	}
	line := po.Lines[0].ID
	sup.do("POST", fmt.Sprintf("/api/v1/supplier/purchase-orders/%s/lines/%d/answer", poID, line),
		map[string]any{"accepted": 2}, http.StatusOK, nil)
	sup.do("POST", "/api/v1/supplier/shipments", map[string]any{"order_number": n, "carrier": "UPS", "tracking_number": flowTracking,
		"lines": []map[string]any{{"po_line_id": line, "quantity": 2}}}, http.StatusCreated, nil)
	var order struct {
		State string `json:"state"`
	}
	staff.do("GET", fmt.Sprintf("/api/v1/orders/%d", n), nil, http.StatusOK, &order)
	if order.State != "shipped" {
		t.Fatalf("order after the shipment is %s, want shipped", order.State)
	}

	// The carrier says delivered, through the signed webhook.
	body := fmt.Sprintf(`{"source":"aftership","events":[{"id":"flow-1","carrier":"ups","tracking_number":%q,`+
		`"status":"delivered","location":"Milano, IT","occurred_at":%q}]}`, flowTracking, time.Now().UTC().Format(time.RFC3339))
	mac := hmac.New(sha256.New, []byte(flowSecret))
	mac.Write([]byte(body))
	req, err := http.NewRequest(http.MethodPost, base+web.APIPrefix+web.TrackingEventsPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(web.TrackingSignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(raw), `"outcome":"applied"`) {
		t.Fatalf("tracking event = %d: %s", res.StatusCode, raw)
	}
	staff.do("GET", fmt.Sprintf("/api/v1/orders/%d", n), nil, http.StatusOK, &order)
	if order.State != "delivered" {
		t.Fatalf("order after the delivery event is %s, want delivered", order.State)
	}

	// Every step is on the timeline, in order, with who did it.
	var tl struct {
		Items []struct {
			Event string `json:"event"`
			Actor string `json:"actor"`
		} `json:"items"`
	}
	staff.do("GET", fmt.Sprintf("/api/v1/orders/%d/timeline", n), nil, http.StatusOK, &tl)
	want := []struct{ event, actor string }{
		{"placed", "token:"}, {"routed", "system:routing"}, {"po_sent", "system:purchasing"},
		{"supplier_accepted", demo.EmailSupplierLogin}, {"shipped", demo.EmailSupplierLogin}, {"delivered", "carrier:aftership"},
	}
	next := 0
	for _, e := range tl.Items {
		if next < len(want) && e.Event == want[next].event {
			if !strings.Contains(e.Actor, want[next].actor) {
				t.Errorf("timeline %q by %q, want by %s…", e.Event, e.Actor, want[next].actor)
			}
			next++
		}
	}
	if next != len(want) {
		t.Errorf("timeline %+v: found %d of the steps %v in order", tl.Items, next, want)
	}

	// The other order was routed too, to a console supplier: one PO email in
	// all, and no email names the other order's customer.
	waitFor(t, "the other order to be routed", func() bool {
		staff.do("GET", fmt.Sprintf("/api/v1/orders/%d/routing", other), nil, http.StatusOK, &routing)
		return len(routing.Decisions) > 0
	})
	all := smtp.Messages()
	if pos := poEmails(all); len(pos) != 1 {
		t.Errorf("%d purchase order emails, want 1", len(pos))
	}
	for _, m := range all {
		if slices.Equal(m.To, []string{"bob.smith@example.com"}) {
			continue // his own order's notifications (docs/notifications.md)
		}
		text := m.Subject + m.Text + m.HTML
		for _, a := range m.Attachments {
			text += string(a.Data)
		}
		if strings.Contains(text, "Bob Smith") || strings.Contains(text, "High Street") {
			t.Errorf("email %q names the other order's customer:\n%s", m.Subject, text)
		}
	}
}

// poEmails are the purchase orders among the messages.
func poEmails(all []mailtest.Message) []mailtest.Message {
	var out []mailtest.Message
	for _, m := range all {
		if m.Header.Get("X-Orderly-PO") != "" {
			out = append(out, m)
		}
	}
	return out
}

// placeFlowOrder places an order for qty units of sku to the address and
// returns its number.
func placeFlowOrder(t *testing.T, c flowClient, ext, name string, address map[string]any, sku string, qty int) int64 {
	t.Helper()
	var o placed
	c.do("POST", "/api/v1/orders", map[string]any{"external_id": ext, "currency": "GBP",
		"customer":         map[string]any{"email": strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com", "name": name},
		"shipping_address": address, "lines": []map[string]any{{"sku": sku, "quantity": qty}}}, http.StatusCreated, &o)
	if o.Number == 0 {
		t.Fatalf("order %s: no number", ext)
	}
	return o.Number
}

// TestPrintDemoLogins: serve --demo names every supplier user with its
// supplier and how it receives purchase orders.
func TestPrintDemoLogins(t *testing.T) {
	var b bytes.Buffer
	printDemoLogins(&b, "http://127.0.0.1:8080/")
	out := b.String()
	for _, l := range demo.Logins {
		if !strings.Contains(out, l.Email) || (l.Supplier != "" && !strings.Contains(out, l.Supplier)) {
			t.Errorf("login %s (%s) missing:\n%s", l.Email, l.Supplier, out)
		}
	}
	i := strings.Index(out, demo.EmailSupplierLogin)
	if line, _, _ := strings.Cut(out[max(i, 0):], "\n"); i < 0 || !strings.HasSuffix(line, demo.EmailSupplier+" (purchase orders by email to "+demo.EmailSupplierTo+")") {
		t.Errorf("the email supplier's login does not say where its POs go:\n%s", out)
	}
}
