//! placeholder during bootstrap (the lead merges this with the crate docs)

pub mod backend;
pub mod bench;
pub mod bridge;
pub mod camera;
pub mod cli;
pub mod config;
pub mod controllers;
pub mod counter;
pub mod counter_screen;
pub mod display;
pub mod doctor;
pub mod headless;
pub mod hubclient;
pub mod lookup;
pub mod printcmd;
pub mod printer_health;
pub mod readcard;
pub mod recording;
pub mod scanning;
pub mod sdnotify;
pub mod ui;
pub mod uplink;
pub mod window;
