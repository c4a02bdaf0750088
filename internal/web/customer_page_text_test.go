package web

import (
	"reflect"
	"testing"

	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/orders"
)

// Every text of the customer's order page exists in every language: no
// empty field, every order and line state, every choice, the same events.
func TestCustomerPageTextComplete(t *testing.T) {
	en := customerText[locale.English]
	for _, lang := range locale.Supported {
		txt := customerText[lang]
		if txt == nil {
			t.Fatalf("no text in %s", lang)
		}
		v := reflect.ValueOf(*txt)
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.String && f.String() == "" {
				t.Errorf("%s: %s is empty", lang, v.Type().Field(i).Name)
			}
		}
		for _, st := range orders.States() {
			if txt.States[st] == "" {
				t.Errorf("%s: no text for the order state %s", lang, st)
			}
		}
		for _, st := range orders.LineStates() {
			if txt.LineStates[st] == "" {
				t.Errorf("%s: no text for the line state %s", lang, st)
			}
		}
		for _, c := range []orders.Choice{orders.ChoiceWait, orders.ChoiceSwap, orders.ChoiceCancel} {
			if txt.Choices[c] == "" {
				t.Errorf("%s: no text for the choice %s", lang, c)
			}
		}
		for e := range en.Events {
			if txt.Events[e] == "" {
				t.Errorf("%s: no text for the event %s", lang, e)
			}
		}
		if len(txt.Events) != len(en.Events) {
			t.Errorf("%s has %d events, English %d", lang, len(txt.Events), len(en.Events))
		}
	}
}
