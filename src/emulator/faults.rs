//! Seeded fault injection: error statuses, lost responses and latency, reproducible for the same
//! request sequence and seed.
//!
//! Owns the `--faults` grammar and the draws. Must not produce responses (layer.rs does); faults
//! never apply to `/__m2mctl/*`.

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::error::Error;

/// Parsed `--faults` spec, e.g. `429:0.1,500:0.05,lost:0.05,latency:0-20ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// Status codes (429 or 5xx) and their probabilities.
    pub statuses: Vec<(u16, f64)>,
    /// Probability that the write is performed and the connection then dropped with no response.
    pub lost: f64,
    /// Added latency, uniform in `[min, max]`.
    pub latency: Option<(Duration, Duration)>,
}

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Draw {
    /// Answer with this status instead of running the request.
    pub status: Option<u16>,
    /// Run the request, then drop the connection.
    pub lost: bool,
    /// Sleep first.
    pub latency: Option<Duration>,
}

impl FaultSpec {
    /// Parses the spec; errors name the bad item.
    pub fn parse(spec: &str) -> Result<FaultSpec, Error> {
        let fail = |reason: String| Error::Faults {
            spec: spec.to_string(),
            reason,
        };
        let mut out = FaultSpec {
            statuses: Vec::new(),
            lost: 0.0,
            latency: None,
        };
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (kind, value) = item
                .split_once(':')
                .ok_or_else(|| fail(format!("`{item}` has no `:VALUE`")))?;
            match kind.trim() {
                "latency" => {
                    if out.latency.is_some() {
                        return Err(fail("`latency` is given twice".into()));
                    }
                    out.latency = Some(parse_latency(value.trim()).map_err(fail)?);
                }
                "lost" => out.lost = probability(item, value).map_err(fail)?,
                code => {
                    let status: u16 = code
                        .parse()
                        .ok()
                        .filter(|c| *c == 429 || (500..=599).contains(c))
                        .ok_or_else(|| {
                            fail(format!("unknown fault `{code}` (use 429, a 5xx status, `lost` or `latency`)"))
                        })?;
                    if out.statuses.iter().any(|(c, _)| *c == status) {
                        return Err(fail(format!("`{status}` is given twice")));
                    }
                    out.statuses
                        .push((status, probability(item, value).map_err(fail)?));
                }
            }
        }
        let total: f64 = out.statuses.iter().map(|(_, p)| p).sum::<f64>() + out.lost;
        if total > 1.0 + 1e-9 {
            return Err(fail(format!(
                "probabilities add up to {total}, more than 1"
            )));
        }
        Ok(out)
    }
}

fn probability(item: &str, value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "`{item}`: probability must be a number from 0 to 1"
        )),
    }
}

fn parse_latency(value: &str) -> Result<(Duration, Duration), String> {
    let bad = || format!("`latency:{value}`: write `MIN-MAXms` or `Nms`, e.g. `latency:0-20ms`");
    let ms = value.strip_suffix("ms").ok_or_else(bad)?;
    let (lo, hi) = ms.split_once('-').unwrap_or((ms, ms));
    let lo: u64 = lo.trim().parse().map_err(|_| bad())?;
    let hi: u64 = hi.trim().parse().map_err(|_| bad())?;
    if lo > hi {
        return Err(bad());
    }
    Ok((Duration::from_millis(lo), Duration::from_millis(hi)))
}

/// The injector: a spec and its seeded RNG (one draw sequence per emulator).
#[derive(Debug)]
pub struct Faults {
    spec: FaultSpec,
    rng: Mutex<StdRng>,
}

impl Faults {
    /// Seeds the RNG.
    pub fn new(spec: FaultSpec, seed: u64) -> Faults {
        Faults {
            spec,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// Draws the faults of the next request (always two RNG draws, so sequences stay aligned).
    pub fn draw(&self) -> Draw {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let roll: f64 = rng.random();
        let jitter: f64 = rng.random();
        drop(rng);
        let mut draw = Draw::default();
        let mut edge = 0.0;
        for (status, p) in &self.spec.statuses {
            edge += p;
            if roll < edge {
                draw.status = Some(*status);
                break;
            }
        }
        if draw.status.is_none() && roll < edge + self.spec.lost {
            draw.lost = true;
        }
        if let Some((lo, hi)) = self.spec.latency {
            draw.latency = Some(lo + (hi - lo).mul_f64(jitter));
        }
        draw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let spec = FaultSpec::parse("429:0.1,500:0.05,lost:0.05,latency:0-20ms").expect("parses");
        assert_eq!(spec.statuses, vec![(429, 0.1), (500, 0.05)]);
        assert_eq!(spec.lost, 0.05);
        assert_eq!(
            spec.latency,
            Some((Duration::ZERO, Duration::from_millis(20)))
        );
    }

    #[test]
    fn rejects_bad_specs_with_the_item_named() {
        for (spec, needle) in [
            ("404:0.1", "unknown fault `404`"),
            ("429", "has no `:VALUE`"),
            ("429:2", "probability"),
            ("latency:5", "latency:5"),
            ("latency:9-1ms", "latency:9-1ms"),
            ("429:0.6,500:0.6", "more than 1"),
            ("429:0.1,429:0.2", "twice"),
        ] {
            let err = FaultSpec::parse(spec).expect_err(spec).to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }

    #[test]
    fn same_seed_same_sequence() {
        let spec = FaultSpec::parse("429:0.3,503:0.2,lost:0.2,latency:1-5ms").expect("parses");
        let a = Faults::new(spec.clone(), 7);
        let b = Faults::new(spec.clone(), 7);
        let c = Faults::new(spec, 8);
        let seq = |f: &Faults| (0..200).map(|_| f.draw()).collect::<Vec<_>>();
        let (sa, sb, sc) = (seq(&a), seq(&b), seq(&c));
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
        let count = |s: &[Draw], f: fn(&Draw) -> bool| s.iter().filter(|d| f(d)).count();
        assert!((35..85).contains(&count(&sa, |d| d.status == Some(429))));
        assert!((15..65).contains(&count(&sa, |d| d.lost)));
        assert!(sa.iter().all(|d| {
            d.latency
                .is_some_and(|l| l >= Duration::from_millis(1) && l <= Duration::from_millis(5))
        }));
    }
}
