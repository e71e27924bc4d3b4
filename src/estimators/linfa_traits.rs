//! The estimators as linfa `Fit` / `PredictInplace` implementations, so
//! they work on linfa `Dataset`s like any linfa model.

use super::{
    DecisionTree, FitError, ForestParams, GbdtParams, GradientBoosting, RandomForest, Task,
    TreeParams,
};
use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2};

fn classes(y: &Array1<usize>) -> (Task, Array1<f64>) {
    let n_classes = y.iter().max().map_or(1, |m| m + 1);
    (Task::Classification { n_classes }, y.mapv(|c| c as f64))
}

fn all_rows(n: usize) -> Vec<usize> {
    (0..n).collect()
}

impl Fit<Array2<f64>, Array1<usize>, FitError> for TreeParams {
    type Object = DecisionTree;
    fn fit(
        &self,
        data: &DatasetBase<Array2<f64>, Array1<usize>>,
    ) -> Result<DecisionTree, FitError> {
        let (task, y) = classes(&data.targets);
        DecisionTree::fit_rows(
            self,
            task,
            data.records.view(),
            y.view(),
            &all_rows(data.records.nrows()),
        )
    }
}

impl Fit<Array2<f64>, Array1<f64>, FitError> for TreeParams {
    type Object = DecisionTree;
    fn fit(&self, data: &DatasetBase<Array2<f64>, Array1<f64>>) -> Result<DecisionTree, FitError> {
        DecisionTree::fit_rows(
            self,
            Task::Regression,
            data.records.view(),
            data.targets.view(),
            &all_rows(data.records.nrows()),
        )
    }
}

impl Fit<Array2<f64>, Array1<usize>, FitError> for ForestParams {
    type Object = RandomForest;
    fn fit(
        &self,
        data: &DatasetBase<Array2<f64>, Array1<usize>>,
    ) -> Result<RandomForest, FitError> {
        let (task, y) = classes(&data.targets);
        RandomForest::fit_rows(
            self,
            task,
            data.records.view(),
            y.view(),
            &all_rows(data.records.nrows()),
        )
    }
}

impl Fit<Array2<f64>, Array1<f64>, FitError> for ForestParams {
    type Object = RandomForest;
    fn fit(&self, data: &DatasetBase<Array2<f64>, Array1<f64>>) -> Result<RandomForest, FitError> {
        RandomForest::fit_rows(
            self,
            Task::Regression,
            data.records.view(),
            data.targets.view(),
            &all_rows(data.records.nrows()),
        )
    }
}

impl Fit<Array2<f64>, Array1<usize>, FitError> for GbdtParams {
    type Object = GradientBoosting;
    fn fit(
        &self,
        data: &DatasetBase<Array2<f64>, Array1<usize>>,
    ) -> Result<GradientBoosting, FitError> {
        let (task, y) = classes(&data.targets);
        GradientBoosting::fit_rows(
            self,
            task,
            data.records.view(),
            y.view(),
            &all_rows(data.records.nrows()),
        )
    }
}

impl Fit<Array2<f64>, Array1<f64>, FitError> for GbdtParams {
    type Object = GradientBoosting;
    fn fit(
        &self,
        data: &DatasetBase<Array2<f64>, Array1<f64>>,
    ) -> Result<GradientBoosting, FitError> {
        GradientBoosting::fit_rows(
            self,
            Task::Regression,
            data.records.view(),
            data.targets.view(),
            &all_rows(data.records.nrows()),
        )
    }
}

macro_rules! predict_impls {
    ($model:ty) => {
        impl PredictInplace<Array2<f64>, Array1<usize>> for $model {
            fn predict_inplace(&self, x: &Array2<f64>, y: &mut Array1<usize>) {
                let p = self.predict_rows(x.view(), &all_rows(x.nrows()));
                y.iter_mut().zip(p).for_each(|(o, v)| *o = v as usize);
            }
            fn default_target(&self, x: &Array2<f64>) -> Array1<usize> {
                Array1::zeros(x.nrows())
            }
        }

        impl PredictInplace<Array2<f64>, Array1<f64>> for $model {
            fn predict_inplace(&self, x: &Array2<f64>, y: &mut Array1<f64>) {
                y.assign(&self.predict_rows(x.view(), &all_rows(x.nrows())));
            }
            fn default_target(&self, x: &Array2<f64>) -> Array1<f64> {
                Array1::zeros(x.nrows())
            }
        }
    };
}

predict_impls!(DecisionTree);
predict_impls!(RandomForest);
predict_impls!(GradientBoosting);
