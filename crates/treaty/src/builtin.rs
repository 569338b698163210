//! New START, built in: the spec and lifecycle files shipped in `data/`, compiled into the
//! binary so that accord works with no set-up.

use crate::error::SpecError;
use crate::spec::{LoadedFile, TreatySpec};

/// The built-in spec's text (`data/new-start.toml`).
pub const NEW_START_SPEC: &str = include_str!("../../../data/new-start.toml");
/// The built-in lifecycle's text (`data/new-start-lifecycle.toml`).
pub const NEW_START_LIFECYCLE: &str = include_str!("../../../data/new-start-lifecycle.toml");
/// The built-in history's text (`data/new-start-history.toml`).
pub const NEW_START_HISTORY: &str = include_str!("../../../data/new-start-history.toml");

/// New START, parsed and validated.
pub fn new_start() -> TreatySpec {
    let load = |name: &str| -> Result<LoadedFile, SpecError> {
        if name == "new-start-lifecycle.toml" {
            Ok(LoadedFile {
                name: "data/new-start-lifecycle.toml".into(),
                text: NEW_START_LIFECYCLE.into(),
            })
        } else if name == "new-start-history.toml" {
            Ok(LoadedFile {
                name: "data/new-start-history.toml".into(),
                text: NEW_START_HISTORY.into(),
            })
        } else {
            Err(SpecError::Unreadable {
                file: name.into(),
                message: "not a built-in file".into(),
            })
        }
    };
    match TreatySpec::parse("data/new-start.toml", NEW_START_SPEC, &load) {
        Ok(s) => s,
        // The built-in files are checked by this crate's tests; a failure here is a build defect.
        Err(e) => panic!("built-in New START spec is invalid: {e}"),
    }
}
