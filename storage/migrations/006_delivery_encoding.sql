-- 006_delivery_encoding: delivery bodies are stored compressed. Webhook
-- payloads repeat their API URLs over and over, so S2 (a Snappy dialect)
-- keeps about a seventh of the bytes for about 11 µs of the caller's CPU
-- per 30 KB, and the one writer and the WAL carry a seventh as much.
-- Rows stored before keep '' (the raw body).
ALTER TABLE deliveries ADD COLUMN body_encoding TEXT NOT NULL DEFAULT '';
