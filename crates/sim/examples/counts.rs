//! Prints notification counts by milestone (to compare with the real volumes).
#![allow(clippy::unwrap_used)]
fn main() {
    let spec = accord_treaty::builtin::new_start();
    let sim = accord_sim::simulate(&spec, &accord_sim::Config::default(), &mut |_, _| {}).unwrap();
    let n = &sim.notifications;
    let d = |s| accord_treaty::parse_date(s).unwrap();
    for cut in [
        "2011-08-04",
        "2012-02-05",
        "2012-05-17",
        "2012-09-21",
        "2018-02-05",
        "2021-05-20",
        "2026-02-05",
    ] {
        let c = n.iter().filter(|x| x.date < d(cut)).count();
        println!("before {cut}: {c}");
    }
    let mut kinds = std::collections::BTreeMap::new();
    for x in n {
        *kinds.entry(x.kind.to_string()).or_insert(0) += 1;
    }
    println!("{kinds:?}");
    let bytes: usize = n.iter().map(|x| x.to_json_line().len() + 1).sum();
    println!("total {} bytes {}", n.len(), bytes);
}
