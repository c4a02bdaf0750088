package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/orderly-oms/orderly/internal/demo"
)

// TestServeDemo starts "orderly serve --demo" on an empty database: it loads
// the demo store, and its first SKU is served by the API. A second start with
// --demo on the same database leaves the data alone.
func TestServeDemo(t *testing.T) {
	t.Parallel()
	bin := orderlyBinary(t)
	dsn := filepath.Join(t.TempDir(), "orderly.db")
	p := startServe(t, bin, dsn, "--demo")
	p.waitLog(t, "demo store loaded")
	base := p.baseURL(t)

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--db", dsn, "--role", "read_only", "--name", "demo-test",
		"--log-level", "error"}, &out, &errOut); err != nil {
		t.Fatalf("token create: %v: %s", err, errOut.String())
	}
	req, err := http.NewRequest("GET", base+"/api/v1/variants/by-sku/"+demo.FirstSKU, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out.String()))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "White Hanging Heart T-Light Holder") {
		t.Fatalf("GET demo SKU = %d: %s", res.StatusCode, body)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(t, p); err != nil {
		t.Fatalf("first server exited with %v", err)
	}
	again := startServe(t, bin, dsn, "--demo")
	again.waitLog(t, "demo store not loaded: the database already has products")
}
