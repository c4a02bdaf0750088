package web

import (
	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/orders"
)

// pageText is every text of the customer's order page in one language. A
// test checks that no field is empty in any language.
type pageText struct {
	Title, Order, Status, Placed, Window, WindowNote, Lines, Quantity, Total, Waiting, ExpectedOn, NoDate string
	Delayed, ChooseTitle, ChooseIntro, DueBy, WaitButton, SwapButton, SwapTo, CancelButton, CancelNote    string
	AnsweredWait, AnsweredWaitNoDate, Tracking, Follow, Shipped, History, Refund, Coupon, Language        string
	// CouponUntil is Coupon with the coupon's last day (code, day).
	CouponUntil string

	FlashWait, FlashSwap, FlashCancel, ErrConflict, ErrInvalid string

	TamperedTitle, TamperedBody, ExpiredTitle, ExpiredBody, NotFoundTitle, NotFoundBody, Contact string

	States     map[orders.State]string
	LineStates map[orders.LineState]string
	// Events names the timeline entries a customer sees (the others are the
	// store's own business and are not shown).
	Events map[string]string
	// Choices names the choices in the history ("You chose to wait").
	Choices map[orders.Choice]string
	// DeadlineCancel is the history's text for a cancellation at the consent
	// deadline.
	DeadlineCancel string
}

// customerText is the page in each supported language (locale.Supported).
var customerText = map[string]*pageText{
	locale.English: {
		Title: "Your order", Order: "Order", Status: "Status", Placed: "Placed on", Window: "Delivery window",
		WindowNote: "between %s and %s", Lines: "Items", Quantity: "Qty", Total: "Total", Waiting: "%d waiting for stock",
		ExpectedOn: "expected %s", NoDate: "no date yet",
		Delayed:     "Your order may arrive later than we promised.",
		ChooseTitle: "What would you like us to do?", ChooseIntro: "This item is not ready to ship. Choose one:",
		DueBy:      "If we have not heard from you by %s, we will cancel the waiting items and refund them.",
		WaitButton: "Wait for it", SwapButton: "Swap", SwapTo: "Swap to", CancelButton: "Cancel this item and refund me",
		CancelNote:   "The refund goes back to your original payment.",
		AnsweredWait: "You chose to wait until %s.", AnsweredWaitNoDate: "You chose to wait.",
		Tracking: "Tracking", Follow: "Follow the parcel", Shipped: "shipped %s", History: "History",
		Refund: "Refund: %s", Coupon: "Your apology coupon: %s", CouponUntil: "Your apology coupon: %s (valid until %s)", Language: "Language",
		FlashWait:     "Thank you: we will keep your item and ship it as soon as it arrives.",
		FlashSwap:     "Done: we swapped your item and reserved it for you.",
		FlashCancel:   "Done: the item is cancelled and your refund is on its way.",
		ErrConflict:   "That choice is no longer possible. The page shows your order as it is now.",
		ErrInvalid:    "Please choose one of the options shown.",
		TamperedTitle: "This link is not valid", TamperedBody: "The link to your order is incomplete or was changed. Open it again from the email we sent you.",
		ExpiredTitle: "This link has expired", ExpiredBody: "For your security, links to your order stop working after a while. Ask us for a new one.",
		NotFoundTitle: "Order not found", NotFoundBody: "We could not find this order.", Contact: "Questions? Write to us:",
		States: map[orders.State]string{
			orders.OnHold: "Being checked", orders.AwaitingStock: "Waiting for stock", orders.ReadyToRoute: "Being prepared",
			orders.SentToSupplier: "Being prepared", orders.PartiallyShipped: "Partly shipped", orders.Shipped: "Shipped",
			orders.Delivered: "Delivered", orders.Cancelled: "Cancelled"},
		LineStates: map[orders.LineState]string{
			orders.LineAllocated: "In stock", orders.LineBackordered: "Waiting for stock", orders.LinePreordered: "Pre-order",
			orders.LineShort: "Waiting for stock", orders.LineSentToSupplier: "Being prepared", orders.LineShipped: "Shipped",
			orders.LineDelivered: "Delivered", orders.LineCancelled: "Cancelled"},
		Events: map[string]string{
			"placed": "Order placed", "restocked": "An item you were waiting for is in stock",
			"restock_date_changed": "New expected date for an item", "restock_date_known": "Expected date confirmed for an item",
			"preorder_released": "Pre-order released", "shipped": "Shipped", "delivered": "Delivered", "cancelled": "Items cancelled",
			"at_risk": "Your order may be delayed", "quantity_changed": "Order changed", "variant_swapped": "Order changed",
			"line_added": "Order changed", "line_removed": "Order changed", "address_changed": "Delivery address changed",
			"refund_issued": "Refund issued"},
		Choices: map[orders.Choice]string{orders.ChoiceWait: "You chose to wait", orders.ChoiceSwap: "You chose to swap an item",
			orders.ChoiceCancel: "You chose to cancel an item"},
		DeadlineCancel: "Items cancelled: the wait was not accepted in time",
	},
	locale.BrazilianPortuguese: {
		Title: "Seu pedido", Order: "Pedido", Status: "Situação", Placed: "Feito em", Window: "Prazo de entrega",
		WindowNote: "entre %s e %s", Lines: "Itens", Quantity: "Qtd.", Total: "Total", Waiting: "%d aguardando estoque",
		ExpectedOn: "previsto para %s", NoDate: "ainda sem data",
		Delayed:     "Seu pedido pode chegar depois do prazo prometido.",
		ChooseTitle: "O que você prefere?", ChooseIntro: "Este item ainda não está pronto para envio. Escolha uma opção:",
		DueBy:      "Se não tivermos sua resposta até %s, cancelaremos os itens em espera e faremos o reembolso.",
		WaitButton: "Aguardar", SwapButton: "Trocar", SwapTo: "Trocar por", CancelButton: "Cancelar este item e reembolsar",
		CancelNote:   "O reembolso volta para a forma de pagamento original.",
		AnsweredWait: "Você escolheu aguardar até %s.", AnsweredWaitNoDate: "Você escolheu aguardar.",
		Tracking: "Rastreamento", Follow: "Rastrear a encomenda", Shipped: "enviado em %s", History: "Histórico",
		Refund: "Reembolso: %s", Coupon: "Seu cupom de desculpas: %s", CouponUntil: "Seu cupom de desculpas: %s (válido até %s)", Language: "Idioma",
		FlashWait:     "Obrigado: vamos manter seu item e enviá-lo assim que chegar.",
		FlashSwap:     "Pronto: trocamos seu item e o reservamos para você.",
		FlashCancel:   "Pronto: o item foi cancelado e seu reembolso está a caminho.",
		ErrConflict:   "Essa opção não está mais disponível. A página mostra seu pedido como está agora.",
		ErrInvalid:    "Escolha uma das opções mostradas.",
		TamperedTitle: "Este link não é válido", TamperedBody: "O link do seu pedido está incompleto ou foi alterado. Abra-o novamente a partir do e-mail que enviamos.",
		ExpiredTitle: "Este link expirou", ExpiredBody: "Para sua segurança, os links do pedido deixam de funcionar depois de um tempo. Peça-nos um novo.",
		NotFoundTitle: "Pedido não encontrado", NotFoundBody: "Não encontramos este pedido.", Contact: "Dúvidas? Escreva para nós:",
		States: map[orders.State]string{
			orders.OnHold: "Em verificação", orders.AwaitingStock: "Aguardando estoque", orders.ReadyToRoute: "Em preparação",
			orders.SentToSupplier: "Em preparação", orders.PartiallyShipped: "Enviado em parte", orders.Shipped: "Enviado",
			orders.Delivered: "Entregue", orders.Cancelled: "Cancelado"},
		LineStates: map[orders.LineState]string{
			orders.LineAllocated: "Em estoque", orders.LineBackordered: "Aguardando estoque", orders.LinePreordered: "Pré-venda",
			orders.LineShort: "Aguardando estoque", orders.LineSentToSupplier: "Em preparação", orders.LineShipped: "Enviado",
			orders.LineDelivered: "Entregue", orders.LineCancelled: "Cancelado"},
		Events: map[string]string{
			"placed": "Pedido feito", "restocked": "Um item que você aguardava chegou ao estoque",
			"restock_date_changed": "Nova data prevista para um item", "restock_date_known": "Data prevista confirmada para um item",
			"preorder_released": "Pré-venda liberada", "shipped": "Enviado", "delivered": "Entregue", "cancelled": "Itens cancelados",
			"at_risk": "Seu pedido pode atrasar", "quantity_changed": "Pedido alterado", "variant_swapped": "Pedido alterado",
			"line_added": "Pedido alterado", "line_removed": "Pedido alterado", "address_changed": "Endereço de entrega alterado",
			"refund_issued": "Reembolso efetuado"},
		Choices: map[orders.Choice]string{orders.ChoiceWait: "Você escolheu aguardar", orders.ChoiceSwap: "Você escolheu trocar um item",
			orders.ChoiceCancel: "Você escolheu cancelar um item"},
		DeadlineCancel: "Itens cancelados: a espera não foi aceita a tempo",
	},
	locale.Italian: {
		Title: "Il tuo ordine", Order: "Ordine", Status: "Stato", Placed: "Effettuato il", Window: "Consegna prevista",
		WindowNote: "tra il %s e il %s", Lines: "Articoli", Quantity: "Qtà", Total: "Totale", Waiting: "%d in attesa di disponibilità",
		ExpectedOn: "previsto per il %s", NoDate: "data non ancora nota",
		Delayed:     "Il tuo ordine potrebbe arrivare più tardi del previsto.",
		ChooseTitle: "Cosa preferisci?", ChooseIntro: "Questo articolo non è ancora pronto per la spedizione. Scegli:",
		DueBy:      "Se non riceviamo una tua risposta entro il %s, annulleremo gli articoli in attesa e li rimborseremo.",
		WaitButton: "Attendo", SwapButton: "Cambia", SwapTo: "Cambia con", CancelButton: "Annulla questo articolo e rimborsami",
		CancelNote:   "Il rimborso torna sul metodo di pagamento originale.",
		AnsweredWait: "Hai scelto di attendere fino al %s.", AnsweredWaitNoDate: "Hai scelto di attendere.",
		Tracking: "Tracciamento", Follow: "Segui il pacco", Shipped: "spedito il %s", History: "Cronologia",
		Refund: "Rimborso: %s", Coupon: "Il tuo buono di scuse: %s", CouponUntil: "Il tuo buono di scuse: %s (valido fino al %s)", Language: "Lingua",
		FlashWait:     "Grazie: teniamo il tuo articolo e lo spediamo appena arriva.",
		FlashSwap:     "Fatto: abbiamo cambiato il tuo articolo e lo abbiamo riservato per te.",
		FlashCancel:   "Fatto: l'articolo è annullato e il rimborso è in arrivo.",
		ErrConflict:   "Questa scelta non è più possibile. La pagina mostra il tuo ordine com'è ora.",
		ErrInvalid:    "Scegli una delle opzioni mostrate.",
		TamperedTitle: "Questo link non è valido", TamperedBody: "Il link al tuo ordine è incompleto o è stato modificato. Aprilo di nuovo dall'email che ti abbiamo inviato.",
		ExpiredTitle: "Questo link è scaduto", ExpiredBody: "Per la tua sicurezza, i link all'ordine smettono di funzionare dopo un po'. Chiedicene uno nuovo.",
		NotFoundTitle: "Ordine non trovato", NotFoundBody: "Non abbiamo trovato questo ordine.", Contact: "Domande? Scrivici:",
		States: map[orders.State]string{
			orders.OnHold: "In verifica", orders.AwaitingStock: "In attesa di disponibilità", orders.ReadyToRoute: "In preparazione",
			orders.SentToSupplier: "In preparazione", orders.PartiallyShipped: "Spedito in parte", orders.Shipped: "Spedito",
			orders.Delivered: "Consegnato", orders.Cancelled: "Annullato"},
		LineStates: map[orders.LineState]string{
			orders.LineAllocated: "Disponibile", orders.LineBackordered: "In attesa di disponibilità", orders.LinePreordered: "Preordine",
			orders.LineShort: "In attesa di disponibilità", orders.LineSentToSupplier: "In preparazione", orders.LineShipped: "Spedito",
			orders.LineDelivered: "Consegnato", orders.LineCancelled: "Annullato"},
		Events: map[string]string{
			"placed": "Ordine effettuato", "restocked": "Un articolo che attendevi è disponibile",
			"restock_date_changed": "Nuova data prevista per un articolo", "restock_date_known": "Data prevista confermata per un articolo",
			"preorder_released": "Preordine disponibile", "shipped": "Spedito", "delivered": "Consegnato", "cancelled": "Articoli annullati",
			"at_risk": "Il tuo ordine potrebbe subire un ritardo", "quantity_changed": "Ordine modificato", "variant_swapped": "Ordine modificato",
			"line_added": "Ordine modificato", "line_removed": "Ordine modificato", "address_changed": "Indirizzo di consegna modificato",
			"refund_issued": "Rimborso effettuato"},
		Choices: map[orders.Choice]string{orders.ChoiceWait: "Hai scelto di attendere", orders.ChoiceSwap: "Hai scelto di cambiare un articolo",
			orders.ChoiceCancel: "Hai scelto di annullare un articolo"},
		DeadlineCancel: "Articoli annullati: l'attesa non è stata accettata in tempo",
	},
}

// textFor returns the page's text in loc (any tag; English if unsupported).
func textFor(loc string) *pageText { return customerText[locale.Match(loc)] }
