//! A throwaway PostgreSQL cluster, for the tests that run the stores on the real server (and
//! for a demo that runs its nodes on PostgreSQL): `initdb` into a temporary folder, the server
//! listening on a Unix socket in that folder only (no TCP port), stopped and removed on drop.
//!
//! The binaries come from Debian's `postgresql` package (`/usr/lib/postgresql/<version>/bin`,
//! the newest), or the folder `ACCORD_PG_BINDIR` names. `initdb` refuses to run as root: as
//! root, the folder is given to the `postgres` user and the binaries run as it (`runuser`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running throwaway cluster.
pub struct Cluster {
    root: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    /// The connection string: `host=<socket folder> user=postgres dbname=postgres`.
    pub url: String,
}

/// Where the PostgreSQL binaries are, if anywhere.
pub fn bindir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("ACCORD_PG_BINDIR") {
        return Some(PathBuf::from(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A cluster for the test `test`, which needs the real server: `None` (said on standard
/// error) when `ACCORD_SKIP_POSTGRES=1`; otherwise a cluster, or a panic naming what to install
/// (the PostgreSQL tests are mandatory unless skipped so, never silently passed).
pub fn for_test(test: &str) -> Option<Cluster> {
    if skipped(test) {
        return None;
    }
    match Cluster::start() {
        Ok(c) => Some(c),
        Err(e) => panic!(
            "{test}: a PostgreSQL cluster could not start: {e} (apt-get install postgresql, or set ACCORD_SKIP_POSTGRES=1 to skip loudly)"
        ),
    }
}

/// Whether the PostgreSQL tests are skipped (`ACCORD_SKIP_POSTGRES=1`); says so on standard
/// error, naming `test`.
pub fn skipped(test: &str) -> bool {
    let skip = std::env::var("ACCORD_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("SKIPPED: {test} on PostgreSQL (ACCORD_SKIP_POSTGRES=1)");
    }
    skip
}

impl Cluster {
    /// Makes and starts a cluster (a few seconds). The error says what is missing.
    pub fn start() -> Result<Cluster, String> {
        let bin = bindir().ok_or(
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): install Debian's postgresql package, or set ACCORD_PG_BINDIR",
        )?;
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("accord-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        let as_postgres = is_root();
        let c = Cluster {
            url: format!("host={} user=postgres dbname=postgres", root.display()),
            root,
            bin,
            as_postgres,
        };
        if as_postgres {
            c.run_plain("chown", &["-R", "postgres:postgres", &c.root.display().to_string()])?;
        }
        let data = c.root.join("data").display().to_string();
        c.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])?;
        c.restart()?;
        Ok(c)
    }

    /// The cluster's folder (its data in `data/`, its socket, its log in `server.log`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn run_plain(&self, prog: &str, args: &[&str]) -> Result<(), String> {
        let out = Command::new(prog).args(args).output().map_err(|e| format!("{prog}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{prog} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Runs one of the server's binaries (as the `postgres` user when this is root).
    pub fn run(&self, prog: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(prog).display().to_string();
        if self.as_postgres {
            let mut all = vec!["-u", "postgres", "--", exe.as_str()];
            all.extend_from_slice(args);
            self.run_plain("runuser", &all)
        } else {
            self.run_plain(&exe, args)
        }
    }

    /// A streaming hot standby of this cluster (`pg_basebackup -R`, with a fast checkpoint: the
    /// default spreads it over minutes), in a folder of its own.
    pub fn standby(&self) -> Result<Cluster, String> {
        let root = PathBuf::from(format!("{}-standby", self.root.display()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        let c = Cluster {
            url: format!("host={} user=postgres dbname=postgres", root.display()),
            root,
            bin: self.bin.clone(),
            as_postgres: self.as_postgres,
        };
        if c.as_postgres {
            c.run_plain("chown", &["-R", "postgres:postgres", &c.root.display().to_string()])?;
        }
        let data = c.root.join("data").display().to_string();
        let primary = self.root.display().to_string();
        c.run(
            "pg_basebackup",
            &["-h", &primary, "-U", "postgres", "-D", &data, "-R", "-X", "stream", "-c", "fast"],
        )?;
        c.restart()?;
        Ok(c)
    }

    /// Runs one SQL statement through `psql` (as the superuser).
    pub fn sql(&self, statement: &str) -> Result<(), String> {
        let host = self.root.display().to_string();
        self.run(
            "psql",
            &[
                "-h",
                &host,
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                statement,
            ],
        )
    }

    /// The connection string of database `name` on this cluster.
    pub fn url_of(&self, name: &str) -> String {
        format!("host={} user=postgres dbname={name}", self.root.display())
    }

    /// Creates database `name`; its connection string.
    pub fn database(&self, name: &str) -> Result<String, String> {
        self.sql(&format!("CREATE DATABASE \"{name}\""))?;
        Ok(self.url_of(name))
    }

    /// Makes every commit wait until a standby has applied it (`synchronous_standby_names =
    /// '*'`, `synchronous_commit = remote_apply`): what a reader of the standby sees includes
    /// everything the primary acknowledged.
    pub fn synchronous(&self) -> Result<(), String> {
        self.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")?;
        self.sql("ALTER SYSTEM SET synchronous_commit = 'remote_apply'")?;
        self.sql("SELECT pg_reload_conf()")
    }

    /// Promotes a standby to primary (it then takes writes).
    pub fn promote(&self) -> Result<(), String> {
        let data = self.root.join("data").display().to_string();
        self.run("pg_ctl", &["-D", &data, "-w", "-t", "60", "promote"])
    }

    /// Stops the server at once (as a crash would), keeping the folder.
    pub fn kill(&self) -> Result<(), String> {
        let data = self.root.join("data").display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])
    }

    /// Kills the server with SIGKILL (the postmaster, as an out-of-memory killer or a power cut
    /// would end it: no shutdown, no checkpoint), keeping the folder; returns once its
    /// processes are gone, so that [`Cluster::restart`] can start it again.
    pub fn kill9(&self) -> Result<(), String> {
        let pidfile = self.root.join("data").join("postmaster.pid");
        let text = std::fs::read_to_string(&pidfile).map_err(|e| format!("{}: {e}", pidfile.display()))?;
        let pid = text.lines().next().unwrap_or("").trim().to_owned();
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{}: no process id", pidfile.display()));
        }
        self.run_plain("kill", &["-KILL", &pid])?;
        // The backends notice their postmaster's death and exit; the shared memory they hold
        // must be released before a new server may start on the folder.
        let gone = || {
            Command::new("pgrep")
                .args(["-f", &format!("postgres: .*{}", self.root.display())])
                .status()
                .map(|s| !s.success())
                .unwrap_or(true)
                && !Path::new(&format!("/proc/{pid}")).exists()
        };
        for _ in 0..100 {
            if gone() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Ok(())
    }

    /// Starts the server (again) on its folder: a Unix socket in the folder only, durable
    /// commits, room for the tests' connections (a standby needs at least its primary's).
    pub fn restart(&self) -> Result<(), String> {
        let data = self.root.join("data").display().to_string();
        let opts = format!(
            "-c listen_addresses='' -k {} -c max_connections=200 -c fsync=on",
            self.root.display()
        );
        let log = self.root.join("server.log").display().to_string();
        // After a SIGKILL the old backends may hold the shared memory a moment longer: retry.
        let mut last = String::new();
        for _ in 0..20 {
            match self.run("pg_ctl", &["-D", &data, "-l", &log, "-o", &opts, "-w", "-t", "60", "start"]) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        Err(last)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.kill();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
