//! The committed OpenAPI document (`docs/hub-openapi.json`) is the one the code generates.
//! After changing the API, regenerate it: `MOTCUA_UPDATE_OPENAPI=1 cargo test -p motcua-hub --test openapi`.

#[test]
fn committed_openapi_document_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/hub-openapi.json");
    let generated = motcua_hub::server::openapi_json() + "\n";
    if std::env::var_os("MOTCUA_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/hub-openapi.json is stale: run MOTCUA_UPDATE_OPENAPI=1 cargo test -p motcua-hub --test openapi"
    );
}
