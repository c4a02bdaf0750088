package calendars

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/promise"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// Options tune the service.
type Options struct {
	// Learned, when set, gives handling and transit times learned from past
	// deliveries; the configured calendars fill in where it has too little
	// data.
	Learned promise.Learned
	// CacheTTL bounds how long the engine built from the database is kept
	// when nothing changes it through this service (default 30s): another
	// instance on the same PostgreSQL may have changed it.
	CacheTTL time.Duration
}

// Service stores calendars and answers promises.
type Service struct {
	db   *store.DB
	now  func() time.Time
	opts Options

	cache atomic.Pointer[snapshot]
	// loading serialises rebuilds, so a burst of requests after a change
	// builds the engine once.
	loading sync.Mutex
	// gen counts changes; a snapshot built from an older generation is not
	// kept.
	gen atomic.Int64
}

// snapshot is the engine and the calendars it was built from.
type snapshot struct {
	engine    *promise.Engine
	calendars map[int64]*promise.SupplierCalendar
	builtAt   time.Time
	gen       int64
}

// New returns a service on db.
func New(db *store.DB, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 30 * time.Second
	}
	return &Service{db: db, now: now, opts: opts}
}

// SetLearned replaces the learned source (nil: configured calendars only).
func (s *Service) SetLearned(l promise.Learned) {
	s.loading.Lock()
	s.opts.Learned = l
	s.loading.Unlock()
	s.invalidate()
}

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// invalidate drops the cached engine: the next promise rebuilds it.
func (s *Service) invalidate() {
	s.gen.Add(1)
	s.cache.Store(nil)
}

// engine returns the cached engine, building it if needed.
func (s *Service) engine(ctx context.Context) (*snapshot, error) {
	if sn := s.cache.Load(); sn != nil && s.now().Sub(sn.builtAt) < s.opts.CacheTTL {
		return sn, nil
	}
	s.loading.Lock()
	defer s.loading.Unlock()
	if sn := s.cache.Load(); sn != nil && s.now().Sub(sn.builtAt) < s.opts.CacheTTL {
		return sn, nil
	}
	gen := s.gen.Load()
	sn, err := s.build(ctx)
	if err != nil {
		return nil, err
	}
	sn.gen = gen
	if s.gen.Load() == gen {
		s.cache.Store(sn)
	}
	return sn, nil
}

// build reads the whole configuration and makes an engine of it.
func (s *Service) build(ctx context.Context) (*snapshot, error) {
	q := s.db.R
	cals, err := queryCalendars(ctx, q, "")
	if err != nil {
		return nil, err
	}
	carriers, err := queryCarriers(ctx, q, "")
	if err != nil {
		return nil, err
	}
	remote, err := queryRemote(ctx, q, "")
	if err != nil {
		return nil, err
	}
	zones, err := queryZones(ctx, q)
	if err != nil {
		return nil, err
	}
	settings, err := querySettings(ctx, q)
	if err != nil {
		return nil, err
	}
	cfg := promise.Config{Zones: map[string]string{}, Learned: s.opts.Learned, Confidence: settings.Confidence}
	for _, z := range zones {
		cfg.Zones[z.Country] = z.Zone
	}
	for _, c := range carriers {
		cs, err := CarrierServiceInput{Name: c.Name, PickupDays: c.PickupDays, DeliveryDays: c.DeliveryDays, Transit: c.Transit}.parse()
		if err != nil {
			return nil, fmt.Errorf("carrier service %d as stored: %w", c.ID, err)
		}
		cs.ID = c.ID
		cfg.Carriers = append(cfg.Carriers, &cs)
	}
	for _, r := range remote {
		cfg.Remote = append(cfg.Remote, promise.RemoteRule{ID: r.ID, Name: r.Name, Country: r.Country, From: r.PostalFrom, To: r.PostalTo, ExtraDays: r.ExtraDays})
	}
	e, err := promise.NewEngine(cfg)
	if err != nil {
		return nil, fmt.Errorf("delivery promise configuration: %w", err)
	}
	sn := &snapshot{engine: e, calendars: make(map[int64]*promise.SupplierCalendar, len(cals)), builtAt: s.now()}
	locs := map[string]*time.Location{}
	for _, c := range cals {
		pc, err := toEngine(c, locs)
		if err != nil {
			return nil, err
		}
		sn.calendars[c.SupplierID] = pc
	}
	return sn, nil
}

// toEngine converts a stored calendar to the engine's.
func toEngine(c Calendar, locs map[string]*time.Location) (*promise.SupplierCalendar, error) {
	in := CalendarInput{ProcessingDays: c.ProcessingDays, Cutoff: c.Cutoff, HandlingDays: c.HandlingDays,
		CountryHolidays: c.CountryHolidays, OriginPostalCode: c.OriginPostalCode, Closures: c.Closures, CarrierServiceIDs: c.CarrierServiceIDs}
	p, err := in.parse()
	if err != nil {
		return nil, fmt.Errorf("calendar of supplier %d as stored: %w", c.SupplierID, err)
	}
	loc, ok := locs[c.Timezone]
	if !ok {
		if loc, err = time.LoadLocation(c.Timezone); err != nil {
			return nil, fmt.Errorf("supplier %d: time zone %q: %w", c.SupplierID, c.Timezone, err)
		}
		locs[c.Timezone] = loc
	}
	return &promise.SupplierCalendar{SupplierID: c.SupplierID, Name: c.SupplierName, Country: c.Country, PostalCode: c.OriginPostalCode,
		Location: loc, ProcessingDays: p.days, Cutoff: p.cutoff, HandlingDays: c.HandlingDays, CountryHolidays: c.CountryHolidays,
		Closures: p.closures, CarrierIDs: c.CarrierServiceIDs}, nil
}

// --- calendars ---

// Calendars lists every supplier calendar.
func (s *Service) Calendars(ctx context.Context) ([]Calendar, error) {
	list, err := queryCalendars(ctx, s.db.R, "")
	if list == nil && err == nil {
		list = []Calendar{}
	}
	return list, err
}

// Calendar returns one supplier's calendar (NotFound if it has none).
func (s *Service) Calendar(ctx context.Context, supplierID int64) (Calendar, error) {
	return getCalendar(ctx, s.db.R, supplierID)
}

// SetCalendar creates or replaces a supplier's calendar.
func (s *Service) SetCalendar(ctx context.Context, supplierID int64, in CalendarInput) (Calendar, error) {
	p, err := in.parse()
	if err != nil {
		return Calendar{}, err
	}
	now := s.timestamp()
	var out Calendar
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var country string
		err := tx.QueryRowContext(ctx, `SELECT country FROM suppliers WHERE id = $1`, supplierID).Scan(&country)
		if err == sql.ErrNoRows {
			return apperr.New(apperr.NotFound, "supplier %d not found", supplierID)
		}
		if err != nil {
			return fmt.Errorf("get supplier %d: %w", supplierID, err)
		}
		for i, id := range in.CarrierServiceIDs {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM carrier_services WHERE id = $1`, id).Scan(&n); err != nil {
				return fmt.Errorf("find carrier service %d: %w", id, err)
			}
			if n == 0 {
				return apperr.InvalidField(fmt.Sprintf("carrier_service_ids[%d]", i), "carrier service %d not found", id)
			}
		}
		postal := strings.TrimSpace(in.OriginPostalCode)
		res, err := tx.ExecContext(ctx, `UPDATE supplier_calendars SET processing_days = $1, cutoff_minute = $2, handling_days = $3,
			country_holidays = $4, origin_postal_code = $5, updated_at = $6 WHERE supplier_id = $7`,
			p.days.String(), int(p.cutoff), in.HandlingDays, in.CountryHolidays, postal, now, supplierID)
		if err != nil {
			return fmt.Errorf("save calendar of supplier %d: %w", supplierID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_calendars (supplier_id, processing_days, cutoff_minute, handling_days,
				country_holidays, origin_postal_code, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				supplierID, p.days.String(), int(p.cutoff), in.HandlingDays, in.CountryHolidays, postal, now); err != nil {
				return fmt.Errorf("save calendar of supplier %d: %w", supplierID, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM supplier_closures WHERE supplier_id = $1`, supplierID); err != nil {
			return fmt.Errorf("replace closures of supplier %d: %w", supplierID, err)
		}
		for _, cl := range p.closures {
			if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_closures (supplier_id, starts_on, ends_on, reason) VALUES ($1, $2, $3, $4)`,
				supplierID, cl.From.String(), cl.To.String(), cl.Reason); err != nil {
				return fmt.Errorf("save closure of supplier %d: %w", supplierID, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM supplier_calendar_carriers WHERE supplier_id = $1`, supplierID); err != nil {
			return fmt.Errorf("replace carriers of supplier %d: %w", supplierID, err)
		}
		for _, id := range in.CarrierServiceIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_calendar_carriers (supplier_id, carrier_service_id) VALUES ($1, $2)`,
				supplierID, id); err != nil {
				return fmt.Errorf("save carrier of supplier %d: %w", supplierID, err)
			}
		}
		out, err = getCalendar(ctx, tx, supplierID)
		return err
	})
	if err != nil {
		return Calendar{}, err
	}
	s.invalidate()
	return out, nil
}

// DeleteCalendar removes a supplier's calendar: it can no longer be promised.
func (s *Service) DeleteCalendar(ctx context.Context, supplierID int64) error {
	return s.changeOne(ctx, fmt.Sprintf("delete calendar of supplier %d", supplierID), fmt.Sprintf("supplier %d has no delivery calendar", supplierID),
		`DELETE FROM supplier_calendars WHERE supplier_id = $1`, supplierID)
}

// changeOne runs a statement (what it does names its error) that must
// change the row it names (else notFound is the error) and drops the cached
// engine.
func (s *Service) changeOne(ctx context.Context, what, notFound, query string, args ...any) error {
	res, err := s.db.W.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.NotFound, "%s", notFound)
	}
	s.invalidate()
	return nil
}

// --- carrier services ---

// CarrierServices lists every carrier service with its transit table.
func (s *Service) CarrierServices(ctx context.Context) ([]CarrierService, error) {
	list, err := queryCarriers(ctx, s.db.R, "")
	if list == nil && err == nil {
		list = []CarrierService{}
	}
	return list, err
}

// CarrierService returns one carrier service.
func (s *Service) CarrierService(ctx context.Context, id int64) (CarrierService, error) {
	return getCarrier(ctx, s.db.R, id)
}

// CreateCarrierService creates a carrier service.
func (s *Service) CreateCarrierService(ctx context.Context, in CarrierServiceInput) (CarrierService, error) {
	cs, err := in.parse()
	if err != nil {
		return CarrierService{}, err
	}
	now := s.timestamp()
	var out CarrierService
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO carrier_services (name, pickup_days, delivery_days, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, cs.Name, cs.PickupDays.String(), cs.DeliveryDays.String(), now, now).Scan(&id); err != nil {
			return carrierNameTaken(s.db.Dialect, err, cs.Name)
		}
		if err := writeTransit(ctx, tx, id, cs); err != nil {
			return err
		}
		out, err = getCarrier(ctx, tx, id)
		return err
	})
	if err != nil {
		return CarrierService{}, err
	}
	s.invalidate()
	return out, nil
}

// UpdateCarrierService replaces a carrier service (its transit table too).
func (s *Service) UpdateCarrierService(ctx context.Context, id int64, in CarrierServiceInput) (CarrierService, error) {
	cs, err := in.parse()
	if err != nil {
		return CarrierService{}, err
	}
	var out CarrierService
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE carrier_services SET name = $1, pickup_days = $2, delivery_days = $3, updated_at = $4 WHERE id = $5`,
			cs.Name, cs.PickupDays.String(), cs.DeliveryDays.String(), s.timestamp(), id)
		if err != nil {
			return carrierNameTaken(s.db.Dialect, err, cs.Name)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "carrier service %d not found", id)
		}
		if err := writeTransit(ctx, tx, id, cs); err != nil {
			return err
		}
		out, err = getCarrier(ctx, tx, id)
		return err
	})
	if err != nil {
		return CarrierService{}, err
	}
	s.invalidate()
	return out, nil
}

// DeleteCarrierService deletes a carrier service. Calendars that named it
// stop naming it (a calendar left with none uses any carrier with a lane).
func (s *Service) DeleteCarrierService(ctx context.Context, id int64) error {
	return s.changeOne(ctx, fmt.Sprintf("delete carrier service %d", id), fmt.Sprintf("carrier service %d not found", id), `DELETE FROM carrier_services WHERE id = $1`, id)
}

// --- remote-area rules ---

// RemoteRules lists the remote-area rules.
func (s *Service) RemoteRules(ctx context.Context) ([]RemoteRule, error) {
	return queryRemote(ctx, s.db.R, "")
}

// CreateRemoteRule adds a remote-area rule.
func (s *Service) CreateRemoteRule(ctx context.Context, in RemoteRuleInput) (RemoteRule, error) {
	r, err := in.parse()
	if err != nil {
		return RemoteRule{}, err
	}
	now := s.timestamp()
	var id int64
	if err := s.db.W.QueryRowContext(ctx, `INSERT INTO remote_area_rules (name, country, postal_from, postal_to, extra_days, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, r.Name, r.Country, r.From, r.To, r.ExtraDays, now, now).Scan(&id); err != nil {
		return RemoteRule{}, fmt.Errorf("save remote-area rule %q: %w", r.Name, err)
	}
	s.invalidate()
	return getRemote(ctx, s.db.W, id)
}

// UpdateRemoteRule replaces a remote-area rule.
func (s *Service) UpdateRemoteRule(ctx context.Context, id int64, in RemoteRuleInput) (RemoteRule, error) {
	r, err := in.parse()
	if err != nil {
		return RemoteRule{}, err
	}
	if err := s.changeOne(ctx, fmt.Sprintf("save remote-area rule %d", id), fmt.Sprintf("remote-area rule %d not found", id), `UPDATE remote_area_rules SET name = $1,
		country = $2, postal_from = $3, postal_to = $4, extra_days = $5, updated_at = $6 WHERE id = $7`,
		r.Name, r.Country, r.From, r.To, r.ExtraDays, s.timestamp(), id); err != nil {
		return RemoteRule{}, err
	}
	return getRemote(ctx, s.db.W, id)
}

// DeleteRemoteRule deletes a remote-area rule.
func (s *Service) DeleteRemoteRule(ctx context.Context, id int64) error {
	return s.changeOne(ctx, fmt.Sprintf("delete remote-area rule %d", id), fmt.Sprintf("remote-area rule %d not found", id), `DELETE FROM remote_area_rules WHERE id = $1`, id)
}

// --- zones and settings ---

// Zones lists the country → zone assignments.
func (s *Service) Zones(ctx context.Context) ([]Zone, error) { return queryZones(ctx, s.db.R) }

// SetZones replaces every country → zone assignment.
func (s *Service) SetZones(ctx context.Context, zones []Zone) ([]Zone, error) {
	var fs apperr.Fields
	seen := map[string]bool{}
	clean := make([]Zone, 0, len(zones))
	for i, z := range zones {
		c, err := suppliers.ParseCountry(z.Country)
		zone := normZone(z.Zone)
		switch {
		case err != nil:
			fs.Add(fmt.Sprintf("zones[%d].country", i), "%s", err)
		case seen[string(c)]:
			fs.Add(fmt.Sprintf("zones[%d].country", i), "%s is listed twice", c)
		case zone == "" || len(zone) > 40:
			fs.Add(fmt.Sprintf("zones[%d].zone", i), "a zone name of 1 to 40 characters is required")
		}
		seen[string(c)] = true
		clean = append(clean, Zone{Country: string(c), Zone: zone})
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM shipping_zones`); err != nil {
			return fmt.Errorf("replace zones: %w", err)
		}
		for _, z := range clean {
			if _, err := tx.ExecContext(ctx, `INSERT INTO shipping_zones (country, zone) VALUES ($1, $2)`, z.Country, z.Zone); err != nil {
				return fmt.Errorf("save zone of %s: %w", z.Country, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return queryZones(ctx, s.db.W)
}

// Settings returns the store's promise settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) { return querySettings(ctx, s.db.R) }

// SetSettings changes the store's promise settings.
func (s *Service) SetSettings(ctx context.Context, in Settings) (Settings, error) {
	if err := promise.CheckConfidence(in.Confidence); err != nil {
		return Settings{}, apperr.InvalidField("confidence", "%s", err)
	}
	bp := int(math.Round(in.Confidence * 10000))
	now := s.timestamp()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE promise_settings SET confidence_bp = $1, updated_at = $2 WHERE id = 1`, bp, now)
		if err != nil {
			return fmt.Errorf("save promise settings: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO promise_settings (id, confidence_bp, updated_at) VALUES (1, $1, $2)`, bp, now); err != nil {
				return fmt.Errorf("save promise settings: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return Settings{}, err
	}
	s.invalidate()
	return querySettings(ctx, s.db.W)
}
