#pragma once
// All of xg::nn.
#include "nn/activation.hpp"
#include "nn/containers.hpp"
#include "nn/embedding.hpp"
#include "nn/gru.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/lstm.hpp"
#include "nn/loss.hpp"
#include "nn/module.hpp"
#include "nn/packed_sequence.hpp"
#include "nn/rnn.hpp"
#include "nn/sequential.hpp"
