//! Prints the per-type plan (debugging aid for the force model).
#![allow(clippy::unwrap_used)]
fn main() {
    let spec = accord_treaty::builtin::new_start();
    let models = accord_sim::model::parse_model(accord_sim::model::FORCE_MODEL).unwrap();
    let li = accord_sim::plan::LimitIndex {
        dv: 0,
        warheads: 1,
        launchers: 2,
    };
    for m in &models {
        let ts = accord_sim::targets::targets(&spec, &m.code).unwrap();
        for t in &ts {
            match accord_sim::plan::plan(m, std::slice::from_ref(t), li) {
                Ok(p) => {
                    let p = &p[0];
                    let s: Vec<String> = m
                        .types
                        .iter()
                        .enumerate()
                        .map(|(i, ty)| format!("{}={}/{}", ty.code, p.deployed[i], p.launchers[i]))
                        .collect();
                    println!("{} {} {:?} rv={} {}", m.code, t.as_of, t.values, p.reentry_vehicles, s.join(" "));
                }
                Err(e) => println!("{} {} {:?} ERR {e}", m.code, t.as_of, t.values),
            }
        }
    }
}
