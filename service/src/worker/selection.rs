//! Which lanes a worker process works, with how many slots each: the
//! `--lanes critical,default --slots critical=4,default=2` of
//! `cronkeeper worker`. Lanes must be configured (a lane queue no scheduler
//! fills, or a typo, would sit idle unnoticed); slots not given on the command
//! line come from the lane's configuration.

use crate::config::Config;

/// Largest slot count, as for `lanes.<name>.slots`.
const MAX_SLOTS: usize = 1024;

/// The worker's lanes and slots, in the order `--lanes` gives them (all
/// configured lanes without it), or an error naming the flag and the problem.
pub fn select_lanes(config: &Config, lanes: Option<&str>, slots: Option<&str>) -> Result<Vec<(String, usize)>, String> {
    let configured: Vec<&str> = config.lanes.iter().map(|l| l.name.as_str()).collect();
    let mut chosen: Vec<(String, usize)> = match lanes {
        None => config.lanes.iter().map(|l| (l.name.to_string(), l.slots)).collect(),
        Some(list) => {
            let mut chosen = Vec::new();
            for name in list.split(',').map(str::trim) {
                if name.is_empty() {
                    return Err(format!("--lanes `{list}` has an empty lane name; write lanes separated by commas, like critical,default"));
                }
                let Some(lane) = config.lane(name) else {
                    return Err(format!("--lanes names an unknown lane `{name}`; the configured lanes are {}", configured.join(", ")));
                };
                if chosen.iter().any(|(l, _)| l == name) {
                    return Err(format!("--lanes names the lane `{name}` twice"));
                }
                chosen.push((name.to_string(), lane.slots));
            }
            chosen
        }
    };
    if let Some(list) = slots {
        let mut seen: Vec<&str> = Vec::new();
        for pair in list.split(',').map(str::trim) {
            let Some((name, n)) = pair.split_once('=').map(|(l, n)| (l.trim(), n.trim())) else {
                return Err(format!("--slots `{pair}` is not lane=slots; write them like critical=4,default=2"));
            };
            let n: usize = n.parse().ok().filter(|n| (1..=MAX_SLOTS).contains(n)).ok_or_else(|| format!("--slots {name}={n}: slots must be a whole number from 1 to {MAX_SLOTS}"))?;
            if seen.contains(&name) {
                return Err(format!("--slots gives the lane `{name}` twice"));
            }
            seen.push(name);
            let Some(entry) = chosen.iter_mut().find(|(l, _)| l == name) else {
                return Err(match config.lane(name) {
                    Some(_) => format!("--slots gives slots for `{name}`, which is not in --lanes"),
                    None => format!("--slots names an unknown lane `{name}`; the configured lanes are {}", configured.join(", ")),
                });
            };
            entry.1 = n;
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_file(Config::parse_file("[lanes.critical]\nslots = 3\n[lanes.default]\nslots = 2\n", "test").unwrap()).unwrap()
    }

    #[test]
    fn lanes_and_slots_from_the_command_line_override_the_configuration() {
        let got = select_lanes(&config(), Some("critical,default"), Some("critical=4,default=2")).unwrap();
        assert_eq!(got, vec![("critical".to_string(), 4), ("default".to_string(), 2)]);
    }

    #[test]
    fn slots_not_given_come_from_the_lane_configuration_and_no_lanes_means_all() {
        assert_eq!(select_lanes(&config(), Some("default, critical"), Some("default=5")).unwrap(), vec![("default".into(), 5), ("critical".into(), 3)]);
        let all = select_lanes(&config(), None, None).unwrap();
        assert!(all.contains(&("bulk".to_string(), 1)) && all.contains(&("critical".to_string(), 3)), "{all:?}");
    }

    #[test]
    fn bad_flags_are_refused_naming_the_flag_and_the_problem() {
        let c = config();
        let err = |lanes: Option<&str>, slots: Option<&str>| select_lanes(&c, lanes, slots).unwrap_err();
        assert!(err(Some("critical,nightly"), None).contains("unknown lane `nightly`; the configured lanes are"), "{}", err(Some("critical,nightly"), None));
        assert!(err(Some("critical,,default"), None).contains("empty lane name"));
        assert!(err(Some("critical,critical"), None).contains("twice"));
        assert!(err(Some("critical"), Some("critical:4")).contains("`critical:4` is not lane=slots"));
        assert!(err(Some("critical"), Some("critical=0")).contains("from 1 to 1024"));
        assert!(err(Some("critical"), Some("critical=four")).contains("whole number"));
        assert!(err(Some("critical"), Some("default=2")).contains("`default`, which is not in --lanes"));
        assert!(err(Some("critical"), Some("nightly=2")).contains("unknown lane `nightly`"));
        assert!(err(Some("critical"), Some("critical=2,critical=3")).contains("twice"));
    }
}
