//! Files named by inputs and CI variables (token, certificate and CA files; the report,
//! JUnit and dotenv files; `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`), read and written so that
//! no file can block the process: every open is non-blocking (`O_NONBLOCK`, `O_NOCTTY`
//! where the system has them), and what was opened must be a regular file, checked on the
//! open file itself (`fstat`), so a FIFO, a socket or a device swapped in after the inputs
//! were checked is refused too, at once. A FIFO would otherwise block the single async
//! thread in `open` or `read` — and with it the deadline and the SIGINT/SIGTERM handling —
//! for as long as nobody writes to it.
//!
//! Reads are capped (a regular file can still be huge, or a `/proc` file endless).

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

/// The most a token file may hold.
pub const MAX_TOKEN_FILE: u64 = 1 << 20;
/// The most a certificate, CA or `.publishsettings` file may hold.
pub const MAX_CERT_FILE: u64 = 16 << 20;

/// What a path that is not a regular file is, in words: `a directory`, `a FIFO (named
/// pipe)`, …
pub fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

/// The error for a path that is `what` (see [`kind`]) instead of a regular file.
fn not_regular(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what}, not a regular file"),
    )
}

/// Whether `meta` is of a regular file, else why not.
fn regular(meta: &Metadata) -> io::Result<()> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(not_regular(kind(meta)))
    }
}

/// `options` with the flags that keep `open` from blocking on a FIFO or taking a terminal.
fn nonblocking(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options
}

/// Opens `path` with `options`, never blocking, and checks it is a regular file. When the
/// open itself fails on something that is not a regular file (a FIFO without a reader
/// refuses a non-blocking open for writing), says what it is.
fn open(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    let file = nonblocking(options)
        .open(path)
        .map_err(|e| match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => not_regular(kind(&meta)),
            _ => e,
        })?;
    regular(&file.metadata()?)?;
    Ok(file)
}

/// Checks a file that is to be read: it exists and is a regular file (links followed).
pub fn check_readable(path: &Path) -> io::Result<()> {
    regular(&std::fs::metadata(path)?)
}

/// Checks a file that is to be written: absent (it is created then) or a regular file.
pub fn check_writable(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) => regular(&meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Reads a regular file of at most `max` bytes.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = open(path, OpenOptions::new().read(true))?;
    let mut data = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut data)?;
    if data.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(data)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_string(path: &Path, max: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, max)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Appends `data` to a regular file, creating it when absent (`GITHUB_OUTPUT`,
/// `GITHUB_STEP_SUMMARY`).
pub fn append_regular(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut file = open(path, OpenOptions::new().append(true).create(true))?;
    file.write_all(data)?;
    file.flush()
}

/// Replaces the content of a regular file with `data`, creating it when absent (the JUnit
/// and dotenv reports). Truncated only once it is known to be a regular file.
pub fn write_regular(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut file = open(path, OpenOptions::new().write(true).create(true))?;
    file.set_len(0)?;
    file.write_all(data)?;
    file.flush()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn fifo(dir: &Path, name: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        path
    }

    #[test]
    fn regular_files_are_read_written_and_appended() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        check_writable(&p).unwrap();
        write_regular(&p, b"long first content").unwrap();
        write_regular(&p, b"second").unwrap();
        append_regular(&p, b"+more").unwrap();
        assert_eq!(read_regular(&p, 100).unwrap(), b"second+more");
        assert_eq!(read_regular_string(&p, 100).unwrap(), "second+more");
        check_readable(&p).unwrap();
        let e = read_regular(&p, 5).unwrap_err();
        assert!(e.to_string().contains("larger than 5 bytes"), "{e}");
        let missing = dir.path().join("missing");
        assert_eq!(
            check_readable(&missing).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn fifos_directories_and_devices_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = fifo(dir.path(), "fifo");
        let started = Instant::now();
        for e in [
            read_regular(&f, 100).unwrap_err(),
            append_regular(&f, b"x").unwrap_err(),
            write_regular(&f, b"x").unwrap_err(),
            check_readable(&f).unwrap_err(),
            check_writable(&f).unwrap_err(),
        ] {
            assert!(
                e.to_string()
                    .contains("a FIFO (named pipe), not a regular file"),
                "{e}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "nothing blocked"
        );
        for e in [
            read_regular(dir.path(), 100).unwrap_err(),
            append_regular(dir.path(), b"x").unwrap_err(),
            check_writable(dir.path()).unwrap_err(),
        ] {
            assert!(e.to_string().contains("a directory"), "{e}");
        }
        let null = Path::new("/dev/null");
        if null.exists() {
            let e = append_regular(null, b"x").unwrap_err();
            assert!(e.to_string().contains("a character device"), "{e}");
        }
    }

    #[test]
    fn a_fifo_with_a_reader_is_still_refused_and_gets_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let f = fifo(dir.path(), "fifo");
        // A reader holds the FIFO open, so a non-blocking open for writing succeeds; the
        // check on the open file refuses it before a byte is written.
        let reader = OpenOptions::new()
            .read(true)
            .custom_flags_nonblocking()
            .open(&f)
            .unwrap();
        let e = append_regular(&f, b"secret").unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let mut buf = [0u8; 8];
        let got = (&reader).read(&mut buf);
        assert!(matches!(got, Ok(0)) || got.is_err(), "nothing was written");
    }

    trait Nonblocking {
        fn custom_flags_nonblocking(&mut self) -> &mut Self;
    }

    impl Nonblocking for OpenOptions {
        fn custom_flags_nonblocking(&mut self) -> &mut Self {
            use std::os::unix::fs::OpenOptionsExt;
            self.custom_flags(libc::O_NONBLOCK)
        }
    }
}
