package mail_test

import (
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	orderlymail "github.com/orderly-oms/orderly/internal/mail"
)

func TestDirWritesMessages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	d, err := orderlymail.NewDir(dir, "Orderly <orderly@shop.example>")
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.Send(context.Background(), orderlymail.Message{To: []string{"pedidos@fornecedor.example"}, Subject: "Pedido de compra PO-5001",
		Text: "Olá", Attachments: []orderlymail.Attachment{{Name: "PO-5001.csv", ContentType: "text/csv", Data: []byte("a,b\n1,2\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(dir)
	if err != nil || len(files) != 1 || !strings.HasSuffix(files[0].Name(), "-pedido-de-compra-po-5001.eml") {
		t.Fatalf("files %v, %v", files, err)
	}
	f, err := os.Open(filepath.Join(dir, files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Message-Id") != id || m.Header.Get("To") != "<pedidos@fornecedor.example>" ||
		!strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/mixed") {
		t.Errorf("headers %v (id %s)", m.Header, id)
	}
	// A bad message is refused as Send would.
	if _, err := d.Send(context.Background(), orderlymail.Message{To: []string{"not an address"}, Subject: "x", Text: "y"}); err == nil || orderlymail.Temporary(err) {
		t.Errorf("bad recipient: %v, want a permanent error", err)
	}
}
