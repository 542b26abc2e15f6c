//! Themes: named roles mapped to styles, loaded from TOML.
//!
//! The built-in themes (`themes/*.toml`) are embedded in the binary; a user
//! file `$CONFIG/themes/NAME.toml` of the same name is merged over them, and a
//! new name defines a new theme. Colours are lowered to what the terminal
//! can show: true colour only when `COLORTERM` says so, else the 256-colour
//! palette, or the 16 basic colours on terminals without 256 (`TERM=screen`,
//! `linux`). `NO_COLOR` drops every colour and keeps bold/reverse/underline.

use std::collections::BTreeMap;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::config::Dirs;
use crate::error::{Error, Result, toml_error};

pub const BUILTIN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    None,
    Ansi16,
    Ansi256,
    TrueColor,
}

impl ColorDepth {
    /// From `NO_COLOR`, `COLORTERM` and `TERM`.
    pub fn detect() -> Self {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Self::None;
        }
        let colorterm = var("COLORTERM");
        if colorterm == "truecolor" || colorterm == "24bit" {
            return Self::TrueColor;
        }
        let term = var("TERM");
        if term.contains("256")
            || term.contains("direct")
            || term.contains("kitty")
            || term.contains("alacritty")
        {
            Self::Ansi256
        } else {
            Self::Ansi16
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    reversed: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    italic: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, toml::Value>,
}

/// A resolved theme: role name → style.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    roles: BTreeMap<String, Style>,
    series: Vec<Style>,
}

impl Theme {
    /// Load `name`: the built-in of that name with the user's file merged over it.
    pub fn load(name: &str, dirs: Option<&Dirs>, depth: ColorDepth) -> Result<Self> {
        let mut spec = ThemeFile::default();
        let builtin = BUILTIN.iter().find(|(n, _)| *n == name);
        if let Some((n, text)) = builtin {
            merge(&mut spec, parse(std::path::Path::new(n), text)?);
        }
        let user = dirs.map(|d| d.theme_file(name)).filter(|p| p.is_file());
        if let Some(path) = &user {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
            merge(&mut spec, parse(path, &text)?);
        }
        if builtin.is_none() && user.is_none() {
            return Err(Error::usage(format!(
                "no theme named '{name}' (built in: dark, light, high-contrast)"
            )));
        }
        Self::resolve(name, &spec, depth)
    }

    fn resolve(name: &str, spec: &ThemeFile, depth: ColorDepth) -> Result<Self> {
        let mut roles = BTreeMap::new();
        let mut series = Vec::new();
        for (role, value) in &spec.roles {
            if role == "series" {
                let list = value.as_array().cloned().unwrap_or_default();
                for c in list {
                    let c = c.as_str().unwrap_or_default();
                    series.push(Style::default().fg(lower(parse_color(c)?, depth)));
                }
                continue;
            }
            let r: RoleSpec = value.clone().try_into().map_err(|e: toml::de::Error| {
                Error::config(format!("theme '{name}', role '{role}': {}", e.message()))
            })?;
            let style = style_of(&r, depth).map_err(|e| {
                Error::config(format!("theme '{name}', role '{role}': {}", e.message))
            })?;
            roles.insert(role.clone(), style);
        }
        if series.is_empty() {
            series.push(Style::default());
        }
        Ok(Self {
            name: spec.name.clone().unwrap_or_else(|| name.to_owned()),
            roles,
            series,
        })
    }

    /// The style of a role; unknown roles fall back to `text`.
    pub fn style(&self, role: &str) -> Style {
        self.roles
            .get(role)
            .or_else(|| self.roles.get("text"))
            .copied()
            .unwrap_or_default()
    }

    /// The i-th series colour of charts, cycling.
    pub fn series(&self, i: usize) -> Style {
        self.series[i % self.series.len()]
    }
}

fn parse(path: &std::path::Path, text: &str) -> Result<ThemeFile> {
    toml::from_str(text).map_err(|e| toml_error(path, text, &e))
}

fn merge(into: &mut ThemeFile, from: ThemeFile) {
    if from.name.is_some() {
        into.name = from.name;
    }
    into.roles.extend(from.roles);
}

fn style_of(r: &RoleSpec, depth: ColorDepth) -> Result<Style> {
    let mut s = Style::default();
    if let Some(fg) = &r.fg {
        s = s.fg(lower(parse_color(fg)?, depth));
    }
    if let Some(bg) = &r.bg {
        s = s.bg(lower(parse_color(bg)?, depth));
    }
    let mut m = Modifier::empty();
    for (on, flag) in [
        (r.bold, Modifier::BOLD),
        (r.reversed, Modifier::REVERSED),
        (r.underlined, Modifier::UNDERLINED),
        (r.italic, Modifier::ITALIC),
    ] {
        if on {
            m |= flag;
        }
    }
    // Without colours a coloured background is invisible: show it reversed.
    if depth == ColorDepth::None && r.bg.is_some() {
        m |= Modifier::REVERSED;
    }
    Ok(s.add_modifier(m))
}

fn parse_color(s: &str) -> Result<Color> {
    s.parse::<Color>().map_err(|_| {
        Error::config(format!(
            "'{s}' is not a colour (use #rrggbb, a name, or 0-255)"
        ))
    })
}

/// Lower a colour to what the terminal shows.
pub fn lower(c: Color, depth: ColorDepth) -> Color {
    match (depth, c) {
        (ColorDepth::None, _) => Color::Reset,
        (ColorDepth::TrueColor, c) => c,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(rgb_to_256(r, g, b)),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => rgb_to_16(r, g, b),
        (ColorDepth::Ansi16, Color::Indexed(i)) => {
            let (r, g, b) = index_to_rgb(i);
            rgb_to_16(r, g, b)
        }
        (_, c) => c,
    }
}

/// Nearest colour of xterm's 6×6×6 cube or grey ramp.
pub fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    const STEPS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let near = |v: u8| {
        (0..6)
            .min_by_key(|&i| (i32::from(STEPS[i]) - i32::from(v)).abs())
            .unwrap_or(0) as u8
    };
    let (ri, gi, bi) = (near(r), near(g), near(b));
    let cube = 16 + 36 * ri + 6 * gi + bi;
    let dist = |(a, b2, c): (u8, u8, u8)| {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(a, r) + d(b2, g) + d(c, b)
    };
    let grey_level = ((i32::from(r) + i32::from(g) + i32::from(b)) / 3 - 8).clamp(0, 230) / 10;
    let grey = 232 + grey_level as u8;
    if dist(index_to_rgb(grey)) < dist(index_to_rgb(cube)) {
        grey
    } else {
        cube
    }
}

fn index_to_rgb(i: u8) -> (u8, u8, u8) {
    const STEPS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match i {
        16..=231 => {
            let i = i - 16;
            (
                STEPS[(i / 36) as usize],
                STEPS[(i / 6 % 6) as usize],
                STEPS[(i % 6) as usize],
            )
        }
        232..=255 => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
        _ => BASIC16[i as usize % 16].1,
    }
}

const BASIC16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn rgb_to_16(r: u8, g: u8, b: u8) -> Color {
    let d = |(x, y, z): (u8, u8, u8)| {
        let e = |a: u8, b2: u8| (i32::from(a) - i32::from(b2)).pow(2);
        e(x, r) + e(y, g) + e(z, b)
    };
    BASIC16
        .iter()
        .min_by_key(|(_, rgb)| d(*rgb))
        .map_or(Color::Reset, |(c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse_and_lower() {
        for (name, _) in BUILTIN {
            for depth in [
                ColorDepth::TrueColor,
                ColorDepth::Ansi256,
                ColorDepth::Ansi16,
                ColorDepth::None,
            ] {
                let t = Theme::load(name, None, depth).unwrap();
                let sel = t.style("selection");
                match depth {
                    ColorDepth::Ansi256 => assert!(!matches!(sel.bg, Some(Color::Rgb(..)))),
                    ColorDepth::Ansi16 => {
                        assert!(!matches!(sel.bg, Some(Color::Rgb(..) | Color::Indexed(_))))
                    }
                    ColorDepth::None => {
                        assert!(
                            sel.add_modifier.contains(Modifier::REVERSED),
                            "{name}: selection visible without colour"
                        );
                        assert!(matches!(sel.fg, None | Some(Color::Reset)));
                    }
                    ColorDepth::TrueColor => {}
                }
            }
        }
    }

    #[test]
    fn cube_colours_map_to_themselves() {
        assert_eq!(rgb_to_256(0x5f, 0xaf, 0xd7), 74);
        assert_eq!(rgb_to_256(0, 0, 0), 16);
        assert_eq!(rgb_to_16(250, 10, 10), Color::LightRed);
    }
}
