package digests

import (
	"fmt"
	"strings"
	"time"
)

// texts are the words of a digest in one language.
type texts struct {
	subject        string // supplier name, day
	greeting       string // supplier name
	newLines       string
	unacknowledged string
	lateToShip     string
	issues         string
	reconciliation string
	questions      string
	none           string
	lineFmt        string // PO, SKU, title, quantity, order
	dueFmt         string // deadline
	shipByFmt      string // ship-by day
	openFmt        string // open units
	overdueFmt     string // PO, SKU, order, deadline
	shipmentFmt    string // carrier, tracking, status, order
	balanceFmt     string // PO, sent day, sent, shipped, rejected, cancelled, open
	questionFmt    string // question id, SKU, title, units waiting, asked day
	footer         string
	date           string // time layout of a day
	dateTime       string // time layout of a deadline
}

var locales = map[string]texts{
	"en": {
		subject:        "Orderly daily summary for %s — %s",
		greeting:       "Hello %s, here is where your orders with us stand today.",
		newLines:       "New since yesterday",
		unacknowledged: "Waiting for your answer (accept or reject each line)",
		lateToShip:     "Late to ship (the ship-by day has passed)",
		issues:         "Open issues",
		reconciliation: "Open purchase orders: what we sent and where it is",
		questions:      "Open questions: when will these be back in stock? (answer with a date, \"discontinued\" or \"unknown\")",
		none:           "none",
		lineFmt:        "PO-%d · %s · %s · %d × · order %d",
		dueFmt:         "answer by %s",
		shipByFmt:      "ship by %s",
		openFmt:        "%d open",
		overdueFmt:     "PO-%d · %s · order %d: not answered by %s",
		shipmentFmt:    "%s %s (order %d): the carrier reports %s",
		balanceFmt:     "PO-%d sent %s: %d sent, %d shipped, %d rejected, %d cancelled, %d open",
		questionFmt:    "Question %d · %s · %s: %d units ordered by customers who wait · asked %s",
		footer:         "Answer, add tracking or download these lines in your supplier console.",
		date:           "2 Jan 2006",
		dateTime:       "2 Jan 2006 15:04 MST",
	},
	"pt-BR": {
		subject:        "Resumo diário da Orderly para %s — %s",
		greeting:       "Olá, %s. Veja como estão hoje os seus pedidos conosco.",
		newLines:       "Novos desde ontem",
		unacknowledged: "Aguardando a sua resposta (aceite ou recuse cada linha)",
		lateToShip:     "Envio atrasado (a data limite de envio já passou)",
		issues:         "Pendências",
		reconciliation: "Pedidos de compra em aberto: o que enviamos e onde está",
		questions:      "Perguntas em aberto: quando estes itens voltam ao estoque? (responda com uma data, \"descontinuado\" ou \"sem previsão\")",
		none:           "nenhum",
		lineFmt:        "PO-%d · %s · %s · %d × · pedido %d",
		dueFmt:         "responder até %s",
		shipByFmt:      "enviar até %s",
		openFmt:        "%d em aberto",
		overdueFmt:     "PO-%d · %s · pedido %d: sem resposta até %s",
		shipmentFmt:    "%s %s (pedido %d): a transportadora informa %s",
		balanceFmt:     "PO-%d enviado em %s: %d enviadas, %d despachadas, %d recusadas, %d canceladas, %d em aberto",
		questionFmt:    "Pergunta %d · %s · %s: %d unidades aguardadas por clientes · perguntado em %s",
		footer:         "Responda, informe o rastreio ou baixe estas linhas no seu portal de fornecedor.",
		date:           "02/01/2006",
		dateTime:       "02/01/2006 15:04 MST",
	},
	"it": {
		subject:        "Riepilogo giornaliero Orderly per %s — %s",
		greeting:       "Buongiorno %s, ecco a che punto sono oggi i vostri ordini con noi.",
		newLines:       "Nuovi da ieri",
		unacknowledged: "In attesa della vostra risposta (accettate o rifiutate ogni riga)",
		lateToShip:     "Spedizione in ritardo (la data di spedizione è passata)",
		issues:         "Problemi aperti",
		reconciliation: "Ordini d'acquisto aperti: cosa abbiamo inviato e dove si trova",
		questions:      "Domande aperte: quando tornano disponibili questi articoli? (rispondete con una data, \"fuori produzione\" o \"non noto\")",
		none:           "nessuno",
		lineFmt:        "PO-%d · %s · %s · %d × · ordine %d",
		dueFmt:         "rispondere entro %s",
		shipByFmt:      "spedire entro %s",
		openFmt:        "%d aperte",
		overdueFmt:     "PO-%d · %s · ordine %d: nessuna risposta entro %s",
		shipmentFmt:    "%s %s (ordine %d): il corriere segnala %s",
		balanceFmt:     "PO-%d inviato il %s: %d inviate, %d spedite, %d rifiutate, %d annullate, %d aperte",
		questionFmt:    "Domanda %d · %s · %s: %d unità attese dai clienti · chiesto il %s",
		footer:         "Rispondete, aggiungete il tracking o scaricate queste righe nel vostro portale fornitori.",
		date:           "02/01/2006",
		dateTime:       "02/01/2006 15:04 MST",
	},
}

// Locales lists the languages a digest can be written in.
func Locales() []string { return []string{"en", "pt-BR", "it"} }

// Render writes the digest's subject and plain-text body in its locale
// (English when the locale is not one of Locales). Times are shown in the
// supplier's time zone.
func Render(d *Digest) (subject, body string) {
	t, ok := locales[d.Locale]
	if !ok {
		t = locales["en"]
	}
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	day := func(s string) string {
		if v, err := time.Parse(time.DateOnly, s); err == nil {
			return v.Format(t.date)
		}
		return s
	}
	subject = fmt.Sprintf(t.subject, d.Supplier, d.Day.Format(t.date))
	var b strings.Builder
	fmt.Fprintf(&b, t.greeting+"\n", d.Supplier)
	section := func(title string, n int, each func(i int)) {
		fmt.Fprintf(&b, "\n%s (%d)\n", title, n)
		if n == 0 {
			fmt.Fprintf(&b, "  %s\n", t.none)
		}
		for i := range n {
			b.WriteString("  - ")
			each(i)
			b.WriteString("\n")
		}
	}
	line := func(l Line, extra ...string) {
		fmt.Fprintf(&b, t.lineFmt, l.PurchaseOrder, l.SupplierSKU, l.Title, l.Quantity, l.OrderNumber)
		for _, e := range extra {
			if e != "" {
				b.WriteString(" · " + e)
			}
		}
	}
	section(t.newLines, len(d.New), func(i int) { line(d.New[i]) })
	section(t.unacknowledged, len(d.Unacknowledged), func(i int) {
		l := d.Unacknowledged[i]
		due := ""
		if !l.DueAt.IsZero() {
			due = fmt.Sprintf(t.dueFmt, l.DueAt.In(loc).Format(t.dateTime))
		}
		line(l, due)
	})
	section(t.lateToShip, len(d.LateToShip), func(i int) {
		l := d.LateToShip[i]
		line(l, fmt.Sprintf(t.shipByFmt, day(l.ShipBy)), fmt.Sprintf(t.openFmt, l.Open))
	})
	section(t.issues, len(d.Issues), func(i int) {
		is := d.Issues[i]
		switch is.Kind {
		case IssueOverdue:
			fmt.Fprintf(&b, t.overdueFmt, is.PurchaseOrder, is.SupplierSKU, is.OrderNumber, is.DueAt.In(loc).Format(t.dateTime))
		case IssueShipment:
			fmt.Fprintf(&b, t.shipmentFmt, is.Carrier, is.Tracking, is.OrderNumber, is.Status)
		}
	})
	section(t.reconciliation, len(d.Reconciliation), func(i int) {
		r := d.Reconciliation[i]
		fmt.Fprintf(&b, t.balanceFmt, r.PurchaseOrder, r.SentAt.In(loc).Format(t.date), r.Sent, r.Shipped, r.Rejected, r.Cancelled, r.Open)
	})
	section(t.questions, len(d.Questions), func(i int) {
		q := d.Questions[i]
		fmt.Fprintf(&b, t.questionFmt, q.ID, q.SupplierSKU, q.Title, q.Waiting, q.AskedAt.In(loc).Format(t.date))
	})
	b.WriteString("\n" + t.footer + "\n")
	return subject, b.String()
}
