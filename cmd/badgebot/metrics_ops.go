package main

import (
	"context"
	"time"

	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/prometheus/client_golang/prometheus"
)

// opsCollector reads, at each scrape, what an operator watches in the
// database: awards by source, deliveries by source and outcome, the outbox
// (depth, failing, age of the oldest) and the nomination queue.
type opsCollector struct {
	db  Store
	now func() time.Time

	awards, deliveries, outbox, outboxFailing, outboxAge, nominations, up *prometheus.Desc
}

func newOpsCollector(db Store) *opsCollector {
	return &opsCollector{
		db: db, now: time.Now,
		awards:        prometheus.NewDesc("badgebot_awards", "Awards held, by source (manual, api, rule, nomination, import).", []string{"source"}, nil),
		deliveries:    prometheus.NewDesc("badgebot_webhook_deliveries", "Stored webhook deliveries, by source and outcome (pending, processed, problem).", []string{"source", "outcome"}, nil),
		outbox:        prometheus.NewDesc("badgebot_outbox_pending", "Announcements not delivered yet.", nil, nil),
		outboxFailing: prometheus.NewDesc("badgebot_outbox_failing", "Undelivered announcements that failed at least once.", nil, nil),
		outboxAge:     prometheus.NewDesc("badgebot_outbox_oldest_age_seconds", "Age of the oldest undelivered announcement (0: none).", nil, nil),
		nominations:   prometheus.NewDesc("badgebot_nominations_pending", "Nominations waiting for a decision.", nil, nil),
		up:            prometheus.NewDesc("badgebot_database_stats_up", "1 when the database answered the statistics queries.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *opsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.awards, c.deliveries, c.outbox, c.outboxFailing, c.outboxAge, c.nominations, c.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *opsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.db.Stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for src, n := range st.AwardsBySource {
		ch <- prometheus.MustNewConstMetric(c.awards, prometheus.GaugeValue, float64(n), src)
	}
	for k, n := range st.Deliveries {
		ch <- prometheus.MustNewConstMetric(c.deliveries, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(st.OutboxPending))
	ch <- prometheus.MustNewConstMetric(c.outboxFailing, prometheus.GaugeValue, float64(st.OutboxFailing))
	age := 0.0
	if !st.OutboxOldest.IsZero() {
		age = max(c.now().Sub(st.OutboxOldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.outboxAge, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(c.nominations, prometheus.GaugeValue, float64(st.NominationsPending))
}

// writerBusy is SQLite's one writer, whose utilisation bounds the writes a
// second the database takes (PostgreSQL has no single writer).
type writerBusy interface{ WriterBusy() time.Duration }

// writerBusyCounter exposes the writer's busy time: its rate is the
// writer's utilisation, and near 1 writes queue behind it.
func writerBusyCounter(w writerBusy) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "badgebot_storage_writer_busy_seconds_total",
		Help: "Time SQLite's one writer spent running and committing writes (its rate is the writer's utilisation: near 1, writes queue behind it).",
	}, func() float64 { return w.WriterBusy().Seconds() })
}

// jobMetrics times the scheduled jobs (sweep, backfill, expiry, digest).
type jobMetrics struct {
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	failures    *prometheus.CounterVec
}

func newJobMetrics(reg prometheus.Registerer) *jobMetrics {
	m := &jobMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "badgebot_job_duration_seconds",
			Help:    "Duration of scheduled jobs, by job.",
			Buckets: []float64{.01, .05, .1, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "badgebot_job_last_success_timestamp_seconds",
			Help: "When each scheduled job last ended without error (Unix time).",
		}, []string{"job"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "badgebot_job_failures_total",
			Help: "Scheduled job runs that ended with an error, by job.",
		}, []string{"job"}),
	}
	reg.MustRegister(m.duration, m.lastSuccess, m.failures)
	return m
}

// wrap times a job and records its outcome.
func (m *jobMetrics) wrap(name string, job jobs.Job) jobs.Job {
	if m == nil {
		return job
	}
	return func(ctx context.Context) error {
		start := time.Now()
		err := job(ctx)
		m.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
		if err != nil {
			m.failures.WithLabelValues(name).Inc()
		} else {
			m.lastSuccess.WithLabelValues(name).SetToCurrentTime()
		}
		return err
	}
}
