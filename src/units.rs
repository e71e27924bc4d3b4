//! Durations ("1h30m", "90s", "2.5h") and sizes ("4G", "512M") as people
//! write them in configs and flags.

/// Parses "20m", "1h30m", "90s", "1h", "2.5h", "45" (seconds), "1d".
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(seconds) = s.parse::<f64>() {
        return non_negative(seconds, text);
    }
    let mut total = 0.0;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400.0,
            'h' => 3_600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => {
                return Err(format!(
                    "`{text}` is not a duration (use e.g. 90s, 20m, 1h30m)"
                ))
            }
        };
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration (use e.g. 90s, 20m, 1h30m)"))?;
        total += value * unit;
        number.clear();
    }
    if !number.is_empty() {
        return Err(format!(
            "`{text}`: a number without a unit at the end (use e.g. 1h30m)"
        ));
    }
    non_negative(total, text)
}

fn non_negative(seconds: f64, text: &str) -> Result<f64, String> {
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(seconds)
    } else {
        Err(format!("`{text}` is not a non-negative duration"))
    }
}

/// "1h05m", "18m40s", "42s", "0.35s".
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "?".into();
    }
    if seconds < 10.0 {
        return format!("{seconds:.2}s").replace(".00s", "s");
    }
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// Parses "4G", "512M", "1.5GiB", "800k", "1048576" (bytes), base 1024.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (use e.g. 512M, 4G)"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1u64,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "`{text}`: unknown size unit `{unit}` (use K, M, G or T)"
            ))
        }
    };
    let bytes = value * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0) {
        return Err(format!("`{text}` is not a positive size"));
    }
    Ok(bytes as u64)
}

/// "4.0 GiB", "512 MiB".
pub fn format_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.0} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20m").unwrap(), 1200.0);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400.0);
        assert_eq!(parse_duration("90s").unwrap(), 90.0);
        assert_eq!(parse_duration("2.5h").unwrap(), 9000.0);
        assert_eq!(parse_duration("45").unwrap(), 45.0);
        assert!(parse_duration("1h30").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("-5").is_err());
        assert_eq!(format_duration(1120.0), "18m40s");
        assert_eq!(format_duration(5400.0), "1h30m");
        assert_eq!(format_duration(42.0), "42s");
        assert_eq!(format_duration(1200.0), "20m");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("4G").unwrap(), 4 << 30);
        assert_eq!(parse_bytes("512M").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("1.5GiB").unwrap(), 3 << 29);
        assert!(parse_bytes("4X").is_err());
        assert!(parse_bytes("0").is_err());
        assert_eq!(format_bytes(4 << 30), "4.0 GiB");
    }
}
