//! Getting a file's bytes into the app without blocking a frame: the native or browser file
//! dialog (rfd's async dialog), and files dropped on the window. Results arrive through a
//! channel that the app polls each frame.

use std::sync::mpsc::{Receiver, Sender, channel};

/// The largest file the app reads (the official full NAS-Bench-101 tfrecord is about 2 GB).
pub const MAX_FILE_BYTES: u64 = 3 << 30;

/// A file's name and bytes, or why it could not be read (naming the file).
pub type FileResult = Result<(String, Vec<u8>), String>;

#[derive(Debug)]
pub struct FileInbox {
    sender: Sender<FileResult>,
    receiver: Receiver<FileResult>,
}

impl Default for FileInbox {
    fn default() -> Self {
        let (sender, receiver) = channel();
        Self { sender, receiver }
    }
}

impl FileInbox {
    /// Opens the file dialog; the chosen file arrives later through [`FileInbox::poll`].
    pub fn open_dialog(&self, ctx: &egui::Context) {
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        let job = async move {
            let dialog = rfd::AsyncFileDialog::new()
                .set_title("Open NAS-Bench-101 data")
                .add_filter("NAS-Bench-101 data", &["zip", "pth", "pt", "tfrecord", "csv"])
                .add_filter("All files", &["*"]);
            if let Some(file) = dialog.pick_file().await {
                let name = file.file_name();
                let bytes = file.read().await;
                let _ = sender.send(check_size(name, bytes));
                ctx.request_repaint();
            }
        };
        #[cfg(not(target_arch = "wasm32"))]
        std::thread::spawn(move || vsgae::readback::block_on(job));
        #[cfg(target_arch = "wasm32")]
        wasm_bindgen_futures::spawn_local(job);
    }

    /// Takes the files dropped on the window this frame and reads them off the UI thread (a
    /// worker thread natively, an async browser read on the web).
    pub fn take_dropped(&self, ctx: &egui::Context) {
        let dropped = ctx.input_mut(|input| std::mem::take(&mut input.raw.dropped_files));
        for file in dropped {
            let sender = self.sender.clone();
            let ctx = ctx.clone();
            let name = file
                .path()
                .file_name()
                .map_or_else(|| file.path().display().to_string(), |n| n.to_string_lossy().into_owned());
            #[cfg(not(target_arch = "wasm32"))]
            std::thread::spawn(move || {
                let size = std::fs::metadata(file.path()).map(|m| m.len()).unwrap_or(0);
                let result = if size > MAX_FILE_BYTES {
                    Err(format!("{name}: {size} bytes is more than the {MAX_FILE_BYTES} bytes the app reads"))
                } else {
                    file.bytes().map_err(|e| format!("{name}: {e}")).and_then(|bytes| check_size(name, bytes))
                };
                let _ = sender.send(result);
                ctx.request_repaint();
            });
            #[cfg(target_arch = "wasm32")]
            wasm_bindgen_futures::spawn_local(async move {
                let result = file.bytes_async().await.map_err(|e| format!("{name}: {e}"));
                let _ = sender.send(result.and_then(|bytes| check_size(name, bytes)));
                ctx.request_repaint();
            });
        }
    }

    /// The files that arrived since the last call.
    pub fn poll(&self) -> Vec<FileResult> {
        self.receiver.try_iter().collect()
    }
}

fn check_size(name: String, bytes: Vec<u8>) -> FileResult {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("{name}: {} bytes is more than the {MAX_FILE_BYTES} bytes the app reads", bytes.len()));
    }
    Ok((name, bytes))
}
