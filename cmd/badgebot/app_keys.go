package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage/postgres"
)

// keyStore is where the signing keys are kept, for every process that
// uses this config: issuer.key_dir, or on PostgreSQL the database, so
// that replicas on machines of their own share them (DESIGN §5).
func (a *App) keyStore() issuer.KeyStore {
	if db, ok := a.DB.(*postgres.DB); ok {
		return db.KeyStore()
	}
	return issuer.NewKeyDir(a.Config.KeyDir())
}

// keysWhere names where the signing keys are kept, for messages.
func (a *App) keysWhere() string {
	if _, ok := a.DB.(*postgres.DB); ok {
		return "the PostgreSQL database"
	}
	return a.Config.KeyDir()
}

// importKeyDir copies into the database the keys of issuer.key_dir that
// it lacks (PostgreSQL): a directory's keys come in once, as the current
// ones into a database without keys (the first start after `migrate
// --from`, or of replicas that shared a key_dir), as older published ones
// otherwise. The directory is only read; afterwards the database is
// where keys are rotated.
func (a *App) importKeyDir(ctx context.Context, db *postgres.DB) error {
	dir := a.Config.KeyDir()
	set, err := issuer.NewKeyDir(dir).Load(ctx)
	if err != nil {
		return fmt.Errorf("importing the signing keys of %s: %w", dir, err)
	}
	if len(set.Keys) == 0 {
		return nil
	}
	n, err := db.KeyStore().Merge(ctx, set)
	if err != nil {
		return err
	}
	if n > 0 {
		a.Log.Info("imported signing keys into the database; they are kept there from now on", "dir", dir, "keys", n)
	}
	return nil
}

// openKeys loads the signing keys and checks them against the awards in
// the database. New keys are made only for an instance without awards:
// keys made where awards exist would leave every one of them failing
// verification, so a key directory that lacks a key an award was signed
// with stops the start, naming the keys and how to get them back.
func (a *App) openKeys(ctx context.Context) (*issuer.KeyRing, error) {
	if db, ok := a.DB.(*postgres.DB); ok {
		if err := a.importKeyDir(ctx, db); err != nil {
			return nil, err
		}
	}
	dir := a.keysWhere()
	store := a.keyStore()
	used, anyAward, err := a.DB.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := issuer.LoadKeyRing(ctx, store)
	switch {
	case errors.Is(err, issuer.ErrNoKeys) && !anyAward && len(used) == 0:
		keys, err = issuer.CreateKeyRing(ctx, store)
		if err == nil {
			a.Log.Info("created signing keys for a new instance", "in", dir)
		}
		return keys, err
	case errors.Is(err, issuer.ErrNoKeys):
		return nil, a.missingKeys(dir, used, len(used))
	case err != nil:
		return nil, err
	}
	missing := map[string]string{}
	for id, award := range used {
		if !keys.HasKey(id) {
			missing[id] = award
		}
	}
	if len(missing) > 0 {
		return nil, a.missingKeys(dir, missing, len(used))
	}
	return keys, nil
}

// missingKeys is the error that stops a start without the keys awards
// need.
func (a *App) missingKeys(dir string, missing map[string]string, used int) error {
	ids := make([]string, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var named []string
	for _, id := range ids {
		named = append(named, fmt.Sprintf("%s (first signed award %s)", id, missing[id]))
	}
	what := "the signing keys"
	if len(ids) > 0 {
		what = fmt.Sprintf("%d of the %d signing keys awards were signed with: %s", len(ids), used, strings.Join(named, ", "))
	}
	if _, ok := a.DB.(*postgres.DB); ok {
		return bot.Errorf(bot.EINVALID, "the PostgreSQL database lacks %s. "+
			"badgebot makes no new keys while awards exist: every earlier award would fail verification. "+
			"Point issuer.key_dir at a key directory that holds them (the keys/ of an archive of badgebot backup, or the key_dir the awards were made with): "+
			"its keys are imported into the database at start",
			what)
	}
	restore := fmt.Sprintf("tar -xzf BACKUP.tar.gz -C %s keys", filepath.Dir(dir))
	if filepath.Base(dir) != "keys" {
		restore = fmt.Sprintf("tar -xzf BACKUP.tar.gz keys && mv keys %s", dir)
	}
	return bot.Errorf(bot.EINVALID, "the key directory %s lacks %s. "+
		"badgebot makes no new keys while awards exist: every earlier award would fail verification. "+
		"Restore the keys from an archive of badgebot backup (%s) or set issuer.key_dir to where they are, then start again",
		dir, what, restore)
}
