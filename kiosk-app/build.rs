//! Compiles the Slint UI with the translation catalogs under `lang/` bundled into the binary.
//!
//! Vietnamese is the source language of every `@tr`; `lang/en/LC_MESSAGES/motcua-kiosk-app.po`
//! (the domain is the package name) holds English. Messages carry no context (the catalog has no
//! `msgctxt`), so moving a string to another component does not orphan its translation.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("lang")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        // A build script reports by failing; the compiler already printed the diagnostics.
        panic!("compiling ui/app.slint: {e}");
    }
}
