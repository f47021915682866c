//! Secrets given as files (`secret_file`, `subscription_key_file`, `token_file`,
//! `webhook_secret_file`, `gestionali.NAME.token_file`, `api_keys[N].sha256_file`), the convention of container and systemd credentials: the file's
//! content (trimmed) becomes the sibling key before the settings are typed. A file that others
//! may read is a warning.

use std::path::Path;

use serde_json::Value;

/// The keys that may be given as a file: (path of the table, key).
const SECRET_KEYS: &[(&[&str], &str)] = &[
    (&["node", "auth"], "secret"),
    (&["checkout"], "subscription_key"),
    (&["reconciliation", "fdr"], "subscription_key"),
    (&["reconciliation", "soap"], "password"),
    (&["reconciliation", "soap"], "subscription_key"),
    (&["reconciliation", "recovery"], "subscription_key"),
    (&["gestionale"], "token"),
    (&["gestionale"], "webhook_secret"),
];

/// The keys of each `[gestionali.NAME]` that may be given as a file.
const GESTIONALE_SECRET_KEYS: &[&str] = &["token", "webhook_secret"];

/// Replaces every `<key>_file` of [`SECRET_KEYS`] and `api_keys[N].sha256_file` by `<key>` with
/// the file's content. Returns warnings; errors name the key.
pub(super) fn resolve(root: &mut Value) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    for (table, key) in SECRET_KEYS {
        let mut cursor = Some(&mut *root);
        for part in *table {
            cursor = cursor.and_then(|v| v.get_mut(*part));
        }
        if let Some(Value::Object(map)) = cursor {
            let name = format!("{}.{key}", table.join("."));
            resolve_one(map, key, &name, &mut warnings)?;
        }
    }
    if let Some(Value::Object(named)) = root.get_mut("gestionali") {
        for (name, table) in named.iter_mut() {
            if let Value::Object(map) = table {
                for key in GESTIONALE_SECRET_KEYS {
                    resolve_one(map, key, &format!("gestionali.{name}.{key}"), &mut warnings)?;
                }
            }
        }
    }
    if let Some(Value::Array(keys)) = root.get_mut("api_keys") {
        for (n, entry) in keys.iter_mut().enumerate() {
            if let Value::Object(map) = entry {
                resolve_one(map, "sha256", &format!("api_keys[{n}].sha256"), &mut warnings)?;
            }
        }
    }
    Ok(warnings)
}

fn resolve_one(
    map: &mut serde_json::Map<String, Value>,
    key: &str,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let file_key = format!("{key}_file");
    let Some(path) = map.remove(&file_key) else {
        return Ok(());
    };
    let Value::String(path) = path else {
        return Err(format!("{name}_file: must be a file path"));
    };
    if map.contains_key(key) {
        return Err(format!("{name}_file: set {name} or {name}_file, not both"));
    }
    let content = read_secret(Path::new(&path), &format!("{name}_file"), warnings)?;
    map.insert(key.to_owned(), Value::String(content));
    Ok(())
}

/// The trimmed content of a secret file; a warning when others may read it.
fn read_secret(path: &Path, name: &str, warnings: &mut Vec<String>) -> Result<String, String> {
    let content = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read {}: {e}", path.display()))?;
    if world_readable(path) {
        warnings.push(format!(
            "{name}: {} can be read by other users (chmod o-r)",
            path.display()
        ));
    }
    let secret = content.trim();
    if secret.is_empty() {
        return Err(format!("{name}: {} is empty", path.display()));
    }
    Ok(secret.to_owned())
}

#[cfg(unix)]
fn world_readable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0)
}

#[cfg(not(unix))]
fn world_readable(_: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn secret_files_become_their_keys() {
        let dir = std::env::temp_dir().join(format!("pagopa-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("node-secret");
        std::fs::write(&file, "  s3cret\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let mut root = serde_json::json!({
            "node": { "auth": { "secret_file": file.display().to_string() } },
            "api_keys": [{ "name": "a", "sha256_file": file.display().to_string(), "role": "operator" }],
        });
        let warnings = resolve(&mut root).unwrap();
        assert_eq!(root["node"]["auth"]["secret"], "s3cret");
        assert!(root["node"]["auth"].get("secret_file").is_none());
        assert_eq!(root["api_keys"][0]["sha256"], "s3cret");
        #[cfg(unix)]
        assert_eq!(warnings.len(), 2, "{warnings:?}");

        let mut both = serde_json::json!({ "checkout": { "subscription_key": "k", "subscription_key_file": "/x" } });
        assert!(
            resolve(&mut both)
                .unwrap_err()
                .starts_with("checkout.subscription_key_file")
        );
        let mut named = serde_json::json!({ "gestionali": { "tributi": {
            "webhook_secret_file": file.display().to_string(), "token_file": file.display().to_string() } } });
        resolve(&mut named).unwrap();
        assert_eq!(named["gestionali"]["tributi"]["webhook_secret"], "s3cret");
        assert_eq!(named["gestionali"]["tributi"]["token"], "s3cret");
        let mut missing =
            serde_json::json!({ "gestionali": { "tributi": { "webhook_secret_file": "/nonexistent/s" } } });
        assert!(
            resolve(&mut missing)
                .unwrap_err()
                .starts_with("gestionali.tributi.webhook_secret_file: cannot read")
        );
        let mut missing = serde_json::json!({ "gestionale": { "token_file": "/nonexistent/token" } });
        assert!(
            resolve(&mut missing)
                .unwrap_err()
                .starts_with("gestionale.token_file: cannot read")
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
