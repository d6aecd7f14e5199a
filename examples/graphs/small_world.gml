graph [
  node [
    id 0
    label "s0"
    weight 1.635
  ]
  node [
    id 1
    label "s1"
    weight 1.029
  ]
  node [
    id 2
    label "s2"
    weight 1.481
  ]
  node [
    id 3
    label "s3"
    weight 0.614
  ]
  node [
    id 4
    label "s4"
    weight 0.711
  ]
  node [
    id 5
    label "s5"
    weight 1.818
  ]
  node [
    id 6
    label "s6"
    weight 1.151
  ]
  node [
    id 7
    label "s7"
    weight 0.685
  ]
  node [
    id 8
    label "s8"
    weight 1.887
  ]
  node [
    id 9
    label "s9"
    weight 0.845
  ]
  node [
    id 10
    label "s10"
    weight 0.621
  ]
  node [
    id 11
    label "s11"
    weight 1.307
  ]
  node [
    id 12
    label "s12"
    weight 1.363
  ]
  node [
    id 13
    label "s13"
    weight 0.625
  ]
  node [
    id 14
    label "s14"
    weight 1.515
  ]
  node [
    id 15
    label "s15"
    weight 0.952
  ]
  node [
    id 16
    label "spare"
    weight 1.988
  ]
  edge [
    source 0
    target 1
    weight 0.346
    length 2.43
  ]
  edge [
    source 0
    target 15
    weight 0.627
    length 2.17
  ]
  edge [
    source 0
    target 7
    weight 0.057
    length 2.62
  ]
  edge [
    source 1
    target 2
    weight 0.32
    length 2.08
  ]
  edge [
    source 1
    target 12
    weight 0.852
    length 2.33
  ]
  edge [
    source 1
    target 11
    weight 0.222
    length 2.97
  ]
  edge [
    source 2
    target 3
    weight 0.798
    length 2.03
  ]
  edge [
    source 2
    target 4
    weight 0.747
    length 1.61
  ]
  edge [
    source 3
    target 4
    weight 0.345
    length 1.87
  ]
  edge [
    source 3
    target 5
    weight 0.303
    length 1.65
  ]
  edge [
    source 4
    target 14
    weight 0.664
    length 1.95
  ]
  edge [
    source 4
    target 9
    weight 0.279
    length 2.24
  ]
  edge [
    source 5
    target 7
    weight 0.403
    length 1.95
  ]
  edge [
    source 5
    target 9
    weight 0.697
    length 2.25
  ]
  edge [
    source 5
    target 14
    weight 0.986
    length 1.65
  ]
  edge [
    source 6
    target 7
    weight 0.602
    length 2.64
  ]
  edge [
    source 6
    target 11
    weight 0.325
    length 1.71
  ]
  edge [
    source 6
    target 13
    weight 0.519
    length 2.87
  ]
  edge [
    source 7
    target 9
    weight 0.058
    length 2.26
  ]
  edge [
    source 7
    target 12
    weight 0.453
    length 2.42
  ]
  edge [
    source 7
    target 14
    weight 0.94
    length 1.05
  ]
  edge [
    source 8
    target 9
    weight 0.844
    length 2.98
  ]
  edge [
    source 8
    target 10
    weight 0.354
    length 2.45
  ]
  edge [
    source 9
    target 10
    weight 0.953
    length 2.03
  ]
  edge [
    source 9
    target 11
    weight 0.328
    length 2.99
  ]
  edge [
    source 10
    target 11
    weight 0.436
    length 1.7
  ]
  edge [
    source 10
    target 12
    weight 0.704
    length 1.99
  ]
  edge [
    source 11
    target 12
    weight 0.063
    length 1.11
  ]
  edge [
    source 12
    target 13
    weight 0.562
    length 1.87
  ]
  edge [
    source 12
    target 14
    weight 0.652
    length 1.56
  ]
  edge [
    source 12
    target 15
    weight 0.639
    length 2.83
  ]
  edge [
    source 13
    target 14
    weight 0.072
    length 1.53
  ]
]
