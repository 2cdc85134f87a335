#pragma once
// XG_ARG: one option of an options struct, in the style of libtorch's TORCH_ARG. Each option's
// type and name stay on one header line:
//
//   struct LinearOptions {
//     using Self = LinearOptions;
//     LinearOptions(std::int64_t in, std::int64_t out) : in_features_(in), out_features_(out) {}
//     XG_ARG(std::int64_t, in_features);
//     XG_ARG(bool, bias) = true;          // the default follows the macro
//   };
//   LinearOptions(4, 8).bias(false);      // chainable setter
//   options.bias();                       // getter
//
// The struct names itself `Self` (a CRTP base takes Self as its template parameter, so setters
// inherited from it return the derived options). The stored member `name_` stays public: the
// optimizers point their state-dict entries at it.

#define XG_ARG(T, name)                          \
 public:                                         \
  Self& name(const T& new_##name) {              \
    this->name##_ = new_##name;                  \
    return static_cast<Self&>(*this);            \
  }                                              \
  const T& name() const { return this->name##_; } \
  T name##_
