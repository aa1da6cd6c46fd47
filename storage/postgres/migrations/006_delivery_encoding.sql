-- 006_delivery_encoding: delivery bodies are stored S2-compressed
-- (storage/migrations/006); '' is a raw body.
ALTER TABLE deliveries ADD COLUMN body_encoding TEXT NOT NULL DEFAULT '';
