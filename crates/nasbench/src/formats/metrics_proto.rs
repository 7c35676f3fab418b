//! nasbench's `model_metrics.proto`, decoded with prost. Unknown fields (such as the energy
//! measurements of re-runs) are skipped.

/// One evaluation during training.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EvaluationData {
    /// The epoch at the time of this evaluation.
    #[prost(double, optional, tag = "1")]
    pub current_epoch: Option<f64>,
    /// Training time in seconds up to this point.
    #[prost(double, optional, tag = "2")]
    pub training_time: Option<f64>,
    /// Accuracy on the training set, where recorded.
    #[prost(double, optional, tag = "3")]
    pub train_accuracy: Option<f64>,
    /// Accuracy on the validation set, where recorded.
    #[prost(double, optional, tag = "4")]
    pub validation_accuracy: Option<f64>,
    /// Accuracy on the test set, where recorded.
    #[prost(double, optional, tag = "5")]
    pub test_accuracy: Option<f64>,
    // Field 6 is `checkpoint_path` (a string) in nasbench's files but a double in some re-runs'
    // files; it is not needed, so it is left unread (skipped as an unknown field).
}

/// The metrics of one training run of one cell.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelMetrics {
    /// Evaluations at several points of training (start, halfway, end).
    #[prost(message, repeated, tag = "1")]
    pub evaluation_data: Vec<EvaluationData>,
    /// Trainable parameters of the network, where recorded.
    #[prost(int32, optional, tag = "2")]
    pub trainable_parameters: Option<i32>,
    /// Total time for training and evaluation.
    #[prost(double, optional, tag = "3")]
    pub total_time: Option<f64>,
}
