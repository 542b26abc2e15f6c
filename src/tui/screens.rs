//! One file per screen. Only screens that work are listed in the tab bar.

use super::keymap::{Key, KeyCodeOrd};

pub mod bundles;
pub mod data;
pub mod drift;
pub mod experiments;
pub mod label;
pub mod train;

/// The screens that exist, in DESIGN's order (1 Data, 2 Label, 3 Train, …, 6 Drift).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Data,
    Label,
    Train,
    Experiments,
    Bundles,
    Drift,
}

impl Screen {
    /// Every screen with its number (the `screen_N` action) and tab name.
    pub const ALL: [(Screen, u8, &'static str); 6] = [
        (Screen::Data, 1, "Data"),
        (Screen::Label, 2, "Label"),
        (Screen::Train, 3, "Train"),
        (Screen::Experiments, 4, "Experiments"),
        (Screen::Bundles, 5, "Bundles"),
        (Screen::Drift, 6, "Drift"),
    ];

    /// The screen of `screen_N`, if this lathe has it.
    pub fn from_number(n: u8) -> Option<Screen> {
        Self::ALL
            .iter()
            .find(|(_, i, _)| *i == n)
            .map(|(s, _, _)| *s)
    }

    /// Keys the screen reads itself before the keymap: the Label screen's
    /// class keys 1–9. The key routing, the tab bar and the help all ask
    /// this, so what they show is what the keys do.
    pub fn claims(self, key: &Key) -> bool {
        self == Screen::Label
            && !key.ctrl
            && !key.alt
            && matches!(key.code, KeyCodeOrd::Char('1'..='9'))
    }

    /// Whether a keymap binding does its action on this screen: its first
    /// key is not one the screen claims.
    pub fn lets(self, binding: &[Key]) -> bool {
        binding.first().is_some_and(|k| !self.claims(k))
    }
}
